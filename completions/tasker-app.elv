
use builtin;
use str;

set edit:completion:arg-completer[tasker-app] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'tasker-app'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'tasker-app'= {
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand build 'Generate a workflow app (and prepare its database when a URL is given)'
            cand update 'Bring an app to this tasker-app''s templates, merging your edits (3-way)'
            cand list-templates 'List the workflow templates and their steps'
            cand validate-environment 'Check that this machine and database are ready, and say how to fix what is not'
            cand install-database-objects 'Copy the database views and functions into an app and apply them (or check for drift)'
            cand catalog 'Work with template catalogs (`catalog export DIR`)'
            cand generate 'Add your own workflow or step to an app: task template, step files, registry lines and a harness test, checked before anything is written'
            cand check 'Check an app''s workflows: DAG, names, retry, input schema, a handler for every step and a step for every handler (as the app''s `check`)'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'tasker-app;build'= {
            cand -t 'Workflow templates: ecommerce, inventory, customer-onboarding (alias: customer). Repeat or separate with commas. Default: all three'
            cand --template 'Workflow templates: ecommerce, inventory, customer-onboarding (alias: customer). Repeat or separate with commas. Default: all three'
            cand -o 'Parent folder; the app goes to DIR/APP_NAME (a UTF-8 path). DIR/APP_NAME must be new, empty, or an app tasker-app generated (it has .tasker-app/manifest.toml); any other folder is refused (exit 3)'
            cand --output-dir 'Parent folder; the app goes to DIR/APP_NAME (a UTF-8 path). DIR/APP_NAME must be new, empty, or an app tasker-app generated (it has .tasker-app/manifest.toml); any other folder is refused (exit 3)'
            cand --database-url 'Database to prepare (engine migrations, views, functions) after writing files'
            cand --api-base-url 'Where the workflows'' external API lives (default: the app''s built-in fake-api)'
            cand --catalog 'Use the template catalog in DIR (laid out like `tasker-app catalog export`) [default: the one the app was generated from, else the built-in one]'
            cand --on-conflict 'What to do with files you changed since they were generated [default: abort, or ask when run in a terminal]'
            cand --format 'Output format'
            cand --skip-db 'Write files only; touch no database'
            cand --observability 'Add tracing/metrics wiring and the compose services for it'
            cand --no-shared-build 'Compile the app''s dependencies in its own target/, not in the build folder every app on this machine shares (CARGO_HOME/tasker-app/build/)'
            cand --dry-run 'Print the plan (files, database steps); write nothing'
            cand -y 'Never prompt'
            cand --yes 'Never prompt'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tasker-app;update'= {
            cand --add 'Add a workflow template (repeat or separate with commas)'
            cand --remove 'Remove a workflow template: its unchanged files are deleted, the ones you edited are kept and named (repeat or separate with commas)'
            cand --catalog 'Use the template catalog in DIR [default: the one the app was generated from]'
            cand --database-url 'Database to migrate after the files are updated (engine and app migrations, views, functions), as build does. [default: $DATABASE_URL]'
            cand --on-conflict 'What to do where your edits and the new templates change the same lines [default: abort, or ask when run in a terminal]'
            cand --format 'Output format'
            cand --skip-db 'Write files only; touch no database'
            cand --dry-run 'Print unified diffs of everything that would change; write nothing'
            cand -y 'Never prompt'
            cand --yes 'Never prompt'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tasker-app;list-templates'= {
            cand --catalog 'Use the template catalog in DIR (laid out like `tasker-app catalog export`)'
            cand --format 'Output format'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tasker-app;validate-environment'= {
            cand --database-url 'Database to check'
            cand --format 'Output format'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tasker-app;install-database-objects'= {
            cand --database-url 'Database to install into'
            cand --format 'Output format'
            cand --check 'Compare the live database with every function and view in APP_DIR/db (yours included; tasker-app''s own when there is no db/); exit 5 on drift'
            cand --dry-run 'Print what would run; change nothing'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tasker-app;catalog'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand export 'Write the built-in catalog into DIR, as a start for your own (then: tasker-app build --catalog DIR)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'tasker-app;catalog;export'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tasker-app;catalog;help'= {
            cand export 'Write the built-in catalog into DIR, as a start for your own (then: tasker-app build --catalog DIR)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'tasker-app;catalog;help;export'= {
        }
        &'tasker-app;catalog;help;help'= {
        }
        &'tasker-app;generate'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand workflow 'A new workflow NAMESPACE/NAME, its steps and their order'
            cand step 'A new step NAMESPACE/NAME.STEP in an existing workflow'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'tasker-app;generate;workflow'= {
            cand --step 'A step and the steps it waits for: NAME or NAME:PARENT,PARENT (repeatable, in any order)'
            cand --input 'A field of the task''s input: NAME:TYPE, TYPE one of string, email, integer, number, boolean, object, array (repeatable; all required)'
            cand --from 'Take the steps, their order and the input schema from a task template YAML'
            cand --app 'The app folder [default: the current folder]'
            cand --format 'Output format'
            cand --dry-run 'Print what would be written; write nothing'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tasker-app;generate;step'= {
            cand --after 'The steps it waits for (comma-separated; none: it starts with the task)'
            cand --app 'The app folder [default: the current folder]'
            cand --format 'Output format'
            cand --dry-run 'Print what would be written; write nothing'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tasker-app;generate;help'= {
            cand workflow 'A new workflow NAMESPACE/NAME, its steps and their order'
            cand step 'A new step NAMESPACE/NAME.STEP in an existing workflow'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'tasker-app;generate;help;workflow'= {
        }
        &'tasker-app;generate;help;step'= {
        }
        &'tasker-app;generate;help;help'= {
        }
        &'tasker-app;check'= {
            cand --format 'Output format'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tasker-app;completions'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'tasker-app;help'= {
            cand build 'Generate a workflow app (and prepare its database when a URL is given)'
            cand update 'Bring an app to this tasker-app''s templates, merging your edits (3-way)'
            cand list-templates 'List the workflow templates and their steps'
            cand validate-environment 'Check that this machine and database are ready, and say how to fix what is not'
            cand install-database-objects 'Copy the database views and functions into an app and apply them (or check for drift)'
            cand catalog 'Work with template catalogs (`catalog export DIR`)'
            cand generate 'Add your own workflow or step to an app: task template, step files, registry lines and a harness test, checked before anything is written'
            cand check 'Check an app''s workflows: DAG, names, retry, input schema, a handler for every step and a step for every handler (as the app''s `check`)'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'tasker-app;help;build'= {
        }
        &'tasker-app;help;update'= {
        }
        &'tasker-app;help;list-templates'= {
        }
        &'tasker-app;help;validate-environment'= {
        }
        &'tasker-app;help;install-database-objects'= {
        }
        &'tasker-app;help;catalog'= {
            cand export 'Write the built-in catalog into DIR, as a start for your own (then: tasker-app build --catalog DIR)'
        }
        &'tasker-app;help;catalog;export'= {
        }
        &'tasker-app;help;generate'= {
            cand workflow 'A new workflow NAMESPACE/NAME, its steps and their order'
            cand step 'A new step NAMESPACE/NAME.STEP in an existing workflow'
        }
        &'tasker-app;help;generate;workflow'= {
        }
        &'tasker-app;help;generate;step'= {
        }
        &'tasker-app;help;check'= {
        }
        &'tasker-app;help;completions'= {
        }
        &'tasker-app;help;help'= {
        }
    ]
    $completions[$command]
}
