//! Issue 20: one orchestration process per database. Two on one database
//! both handle every step result with engine 0.1.8 (docs/cost.md), so the
//! second one to start is told; another database's orchestration is not
//! another one; and the lock goes with the process that held it.

mod support;

use std::time::{Duration, Instant};

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use tasker_app_runtime::sole_orchestration::{Sole, hold};

async fn pool(url: &str) -> PgPool {
    PgPoolOptions::new()
        .max_connections(2)
        .connect(url)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_second_orchestration_on_one_database_is_told_and_the_lock_goes_with_the_first() {
    let (settings, _guard) = support::fresh_app("sole").await;
    let db = pool(settings.require_database_url().unwrap()).await;
    let Sole::Alone(first) = hold(&db).await.unwrap() else {
        panic!("the first orchestration of a database must be its only one");
    };
    assert!(
        matches!(hold(&db).await.unwrap(), Sole::Another),
        "a second orchestration on the same database must be told"
    );

    // Another database's orchestration is no concern of this one.
    let (other, _other_guard) = support::fresh_app("sole_other").await;
    let other_db = pool(other.require_database_url().unwrap()).await;
    assert!(matches!(hold(&other_db).await.unwrap(), Sole::Alone(_)));

    // The first one ends (its task, hence its connection): the next is alone.
    first.abort();
    let _ = first.await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match hold(&db).await.unwrap() {
            Sole::Alone(_) => break,
            Sole::Another if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            Sole::Another => panic!("the lock outlived the process that held it"),
        }
    }
}
