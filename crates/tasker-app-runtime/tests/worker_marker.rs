//! Issue 20: a worker that is gone is known in seconds, and a live one never
//! looks gone. The fast rule of the lost-step sweep (`worker_marker::gone_sql`)
//! against a real PostgreSQL: markers are real advisory locks on real
//! connections, and a "killed" worker is a connection that closes.

mod support;

use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgConnection, PgPool};
use tasker_app_runtime::worker_marker::{self, Marker};

/// Is a step claimed `ago` seconds ago (negative: in the future) lost to
/// gone workers, as the worker holding `own` sees it?
async fn gone(db: &PgPool, own: Marker, ago: f64) -> bool {
    let sql = format!(
        "SELECT {}",
        worker_marker::gone_sql(
            "((now() AT TIME ZONE 'UTC') - make_interval(secs => $3))",
            "$1",
            "$2"
        )
    );
    sqlx::query_scalar(&sql)
        .bind(own.class)
        .bind(own.key())
        .bind(ago)
        .fetch_one(db)
        .await
        .unwrap()
}

async fn lock(conn: &mut PgConnection, m: Marker) {
    sqlx::query("SELECT pg_advisory_lock_shared($1)")
        .bind(m.key())
        .execute(conn)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_claim_only_gone_workers_could_have_made_is_lost_and_no_other() {
    let url = support::server_url();
    let db = PgPoolOptions::new()
        .max_connections(4)
        .connect(&url)
        .await
        .unwrap();
    // Namespaces of this test alone: other tests' workers never interfere.
    let namespaces = vec![format!("marker_test_{}", std::process::id())];
    let (own, holder) = worker_marker::hold(&db, &namespaces).await.unwrap();
    assert_eq!(own.class, worker_marker::class_of(&namespaces));

    // Claimed 20 s before this worker started: whoever claimed it is gone.
    assert!(gone(&db, own, 20.0).await);
    // Claimed after this worker started: this (live) worker may have.
    assert!(!gone(&db, own, -5.0).await);
    // Claimed 300 ms before it started, in the same second: gone (a
    // second's resolution would have kept it on the slow rule).
    assert!(gone(&db, own, 0.3).await);

    // Another live worker, started 100 s ago, might have claimed it: not lost.
    let older = Marker {
        class: own.class,
        started: own.started - 100_000,
    };
    let mut other = PgConnection::connect(&url).await.unwrap();
    lock(&mut other, older).await;
    assert!(
        !gone(&db, own, 20.0).await,
        "a live older worker covers the claim"
    );
    // ... and a claim from before even that worker started is lost.
    assert!(gone(&db, own, 200.0).await);
    // That worker dies (its connection closes, as with kill -9).
    other.close().await.unwrap();
    let mut waited = 0;
    while !gone(&db, own, 20.0).await {
        waited += 1;
        assert!(waited < 50, "a closed connection's marker stays held");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    // Workers of other namespaces never count, either way.
    let stranger = Marker {
        class: own.class ^ 1,
        started: own.started - 100_000,
    };
    let mut s = PgConnection::connect(&url).await.unwrap();
    lock(&mut s, stranger).await;
    assert!(gone(&db, own, 20.0).await);

    // A worker of the same app on another database of the server never counts.
    let other_db = format!("marker_other_{}", std::process::id());
    sqlx::query(&format!("CREATE DATABASE {other_db}"))
        .execute(&db)
        .await
        .unwrap();
    let other_url = support::database_url(&url, &other_db);
    let mut elsewhere = PgConnection::connect(&other_url).await.unwrap();
    lock(&mut elsewhere, older).await;
    assert!(
        gone(&db, own, 20.0).await,
        "a marker in another database covered the claim"
    );
    elsewhere.close().await.unwrap();
    let _ = sqlx::query(&format!("DROP DATABASE {other_db} WITH (FORCE)"))
        .execute(&db)
        .await;

    // Without its own marker held, a worker judges nothing gone.
    holder.abort();
    let _ = holder.await;
    let mut waited = 0;
    while gone(&db, own, 20.0).await {
        waited += 1;
        assert!(waited < 100, "the marker outlived its holder");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
