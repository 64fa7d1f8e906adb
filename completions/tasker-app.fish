# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_tasker_app_global_optspecs
    string join \n h/help V/version
end

function __fish_tasker_app_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_tasker_app_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_tasker_app_using_subcommand
    set -l cmd (__fish_tasker_app_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c tasker-app -n "__fish_tasker_app_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tasker-app -n "__fish_tasker_app_needs_command" -s V -l version -d 'Print version'
complete -c tasker-app -n "__fish_tasker_app_needs_command" -f -a "build" -d 'Generate a workflow app (and prepare its database when a URL is given)'
complete -c tasker-app -n "__fish_tasker_app_needs_command" -f -a "update" -d 'Bring an app to this tasker-app\'s templates, merging your edits (3-way)'
complete -c tasker-app -n "__fish_tasker_app_needs_command" -f -a "list-templates" -d 'List the workflow templates and their steps'
complete -c tasker-app -n "__fish_tasker_app_needs_command" -f -a "validate-environment" -d 'Check that this machine and database are ready, and say how to fix what is not'
complete -c tasker-app -n "__fish_tasker_app_needs_command" -f -a "install-database-objects" -d 'Copy the database views and functions into an app and apply them (or check for drift)'
complete -c tasker-app -n "__fish_tasker_app_needs_command" -f -a "catalog" -d 'Work with template catalogs (`catalog export DIR`)'
complete -c tasker-app -n "__fish_tasker_app_needs_command" -f -a "generate" -d 'Add your own workflow or step to an app: task template, step files, registry lines and a harness test, checked before anything is written'
complete -c tasker-app -n "__fish_tasker_app_needs_command" -f -a "check" -d 'Check an app\'s workflows: DAG, names, retry, input schema, a handler for every step and a step for every handler (as the app\'s `check`)'
complete -c tasker-app -n "__fish_tasker_app_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c tasker-app -n "__fish_tasker_app_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand build" -s t -l template -d 'Workflow templates: ecommerce, inventory, customer-onboarding (alias: customer). Repeat or separate with commas. Default: all three' -r
complete -c tasker-app -n "__fish_tasker_app_using_subcommand build" -s o -l output-dir -d 'Parent folder; the app goes to DIR/APP_NAME (a UTF-8 path). DIR/APP_NAME must be new, empty, or an app tasker-app generated (it has .tasker-app/manifest.toml); any other folder is refused (exit 3)' -r -F
complete -c tasker-app -n "__fish_tasker_app_using_subcommand build" -l database-url -d 'Database to prepare (engine migrations, views, functions) after writing files' -r
complete -c tasker-app -n "__fish_tasker_app_using_subcommand build" -l api-base-url -d 'Where the workflows\' external API lives (default: the app\'s built-in fake-api)' -r
complete -c tasker-app -n "__fish_tasker_app_using_subcommand build" -l catalog -d 'Use the template catalog in DIR (laid out like `tasker-app catalog export`) [default: the one the app was generated from, else the built-in one]' -r -F
complete -c tasker-app -n "__fish_tasker_app_using_subcommand build" -l on-conflict -d 'What to do with files you changed since they were generated [default: abort, or ask when run in a terminal]' -r -f -a "abort\t'Stop and write nothing (exit 3)'
skip\t'Keep your version'
overwrite\t'Replace your version'
backup\t'Keep your version as FILE.bak, then write the new one'
merge\t'Write the three-way merge of your version and the new one, with git-style conflict markers where both changed the same lines'"
complete -c tasker-app -n "__fish_tasker_app_using_subcommand build" -l format -d 'Output format' -r -f -a "text\t''
json\t''"
complete -c tasker-app -n "__fish_tasker_app_using_subcommand build" -l skip-db -d 'Write files only; touch no database'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand build" -l observability -d 'Add tracing/metrics wiring and the compose services for it'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand build" -l no-shared-build -d 'Compile the app\'s dependencies in its own target/, not in the build folder every app on this machine shares (CARGO_HOME/tasker-app/build/)'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand build" -l dry-run -d 'Print the plan (files, database steps); write nothing'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand build" -s y -l yes -d 'Never prompt'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand build" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand build" -s V -l version -d 'Print version'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand update" -l add -d 'Add a workflow template (repeat or separate with commas)' -r
complete -c tasker-app -n "__fish_tasker_app_using_subcommand update" -l remove -d 'Remove a workflow template: its unchanged files are deleted, the ones you edited are kept and named (repeat or separate with commas)' -r
complete -c tasker-app -n "__fish_tasker_app_using_subcommand update" -l catalog -d 'Use the template catalog in DIR [default: the one the app was generated from]' -r -F
complete -c tasker-app -n "__fish_tasker_app_using_subcommand update" -l database-url -d 'Database to migrate after the files are updated (engine and app migrations, views, functions), as build does. [default: $DATABASE_URL]' -r
complete -c tasker-app -n "__fish_tasker_app_using_subcommand update" -l on-conflict -d 'What to do where your edits and the new templates change the same lines [default: abort, or ask when run in a terminal]' -r -f -a "abort\t'Stop and write nothing (exit 3)'
skip\t'Keep your version'
overwrite\t'Replace your version'
backup\t'Keep your version as FILE.bak, then write the new one'
merge\t'Write the three-way merge of your version and the new one, with git-style conflict markers where both changed the same lines'"
complete -c tasker-app -n "__fish_tasker_app_using_subcommand update" -l format -d 'Output format' -r -f -a "text\t''
json\t''"
complete -c tasker-app -n "__fish_tasker_app_using_subcommand update" -l skip-db -d 'Write files only; touch no database'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand update" -l dry-run -d 'Print unified diffs of everything that would change; write nothing'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand update" -s y -l yes -d 'Never prompt'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand update" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand update" -s V -l version -d 'Print version'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand list-templates" -l catalog -d 'Use the template catalog in DIR (laid out like `tasker-app catalog export`)' -r -F
complete -c tasker-app -n "__fish_tasker_app_using_subcommand list-templates" -l format -d 'Output format' -r -f -a "text\t''
json\t''"
complete -c tasker-app -n "__fish_tasker_app_using_subcommand list-templates" -s h -l help -d 'Print help'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand list-templates" -s V -l version -d 'Print version'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand validate-environment" -l database-url -d 'Database to check' -r
complete -c tasker-app -n "__fish_tasker_app_using_subcommand validate-environment" -l format -d 'Output format' -r -f -a "text\t''
json\t''"
complete -c tasker-app -n "__fish_tasker_app_using_subcommand validate-environment" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand validate-environment" -s V -l version -d 'Print version'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand install-database-objects" -l database-url -d 'Database to install into' -r
complete -c tasker-app -n "__fish_tasker_app_using_subcommand install-database-objects" -l format -d 'Output format' -r -f -a "text\t''
json\t''"
complete -c tasker-app -n "__fish_tasker_app_using_subcommand install-database-objects" -l check -d 'Compare the live database with every function and view in APP_DIR/db (yours included; tasker-app\'s own when there is no db/); exit 5 on drift'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand install-database-objects" -l dry-run -d 'Print what would run; change nothing'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand install-database-objects" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand install-database-objects" -s V -l version -d 'Print version'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand catalog; and not __fish_seen_subcommand_from export help" -s h -l help -d 'Print help'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand catalog; and not __fish_seen_subcommand_from export help" -s V -l version -d 'Print version'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand catalog; and not __fish_seen_subcommand_from export help" -f -a "export" -d 'Write the built-in catalog into DIR, as a start for your own (then: tasker-app build --catalog DIR)'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand catalog; and not __fish_seen_subcommand_from export help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand catalog; and __fish_seen_subcommand_from export" -s h -l help -d 'Print help'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand catalog; and __fish_seen_subcommand_from export" -s V -l version -d 'Print version'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand catalog; and __fish_seen_subcommand_from help" -f -a "export" -d 'Write the built-in catalog into DIR, as a start for your own (then: tasker-app build --catalog DIR)'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand catalog; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand generate; and not __fish_seen_subcommand_from workflow step help" -s h -l help -d 'Print help'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand generate; and not __fish_seen_subcommand_from workflow step help" -s V -l version -d 'Print version'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand generate; and not __fish_seen_subcommand_from workflow step help" -f -a "workflow" -d 'A new workflow NAMESPACE/NAME, its steps and their order'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand generate; and not __fish_seen_subcommand_from workflow step help" -f -a "step" -d 'A new step NAMESPACE/NAME.STEP in an existing workflow'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand generate; and not __fish_seen_subcommand_from workflow step help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand generate; and __fish_seen_subcommand_from workflow" -l step -d 'A step and the steps it waits for: NAME or NAME:PARENT,PARENT (repeatable, in any order)' -r
complete -c tasker-app -n "__fish_tasker_app_using_subcommand generate; and __fish_seen_subcommand_from workflow" -l input -d 'A field of the task\'s input: NAME:TYPE, TYPE one of string, email, integer, number, boolean, object, array (repeatable; all required)' -r
complete -c tasker-app -n "__fish_tasker_app_using_subcommand generate; and __fish_seen_subcommand_from workflow" -l from -d 'Take the steps, their order and the input schema from a task template YAML' -r -F
complete -c tasker-app -n "__fish_tasker_app_using_subcommand generate; and __fish_seen_subcommand_from workflow" -l app -d 'The app folder [default: the current folder]' -r -F
complete -c tasker-app -n "__fish_tasker_app_using_subcommand generate; and __fish_seen_subcommand_from workflow" -l format -d 'Output format' -r -f -a "text\t''
json\t''"
complete -c tasker-app -n "__fish_tasker_app_using_subcommand generate; and __fish_seen_subcommand_from workflow" -l dry-run -d 'Print what would be written; write nothing'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand generate; and __fish_seen_subcommand_from workflow" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand generate; and __fish_seen_subcommand_from workflow" -s V -l version -d 'Print version'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand generate; and __fish_seen_subcommand_from step" -l after -d 'The steps it waits for (comma-separated; none: it starts with the task)' -r
complete -c tasker-app -n "__fish_tasker_app_using_subcommand generate; and __fish_seen_subcommand_from step" -l app -d 'The app folder [default: the current folder]' -r -F
complete -c tasker-app -n "__fish_tasker_app_using_subcommand generate; and __fish_seen_subcommand_from step" -l format -d 'Output format' -r -f -a "text\t''
json\t''"
complete -c tasker-app -n "__fish_tasker_app_using_subcommand generate; and __fish_seen_subcommand_from step" -l dry-run -d 'Print what would be written; write nothing'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand generate; and __fish_seen_subcommand_from step" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand generate; and __fish_seen_subcommand_from step" -s V -l version -d 'Print version'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand generate; and __fish_seen_subcommand_from help" -f -a "workflow" -d 'A new workflow NAMESPACE/NAME, its steps and their order'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand generate; and __fish_seen_subcommand_from help" -f -a "step" -d 'A new step NAMESPACE/NAME.STEP in an existing workflow'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand generate; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand check" -l format -d 'Output format' -r -f -a "text\t''
json\t''"
complete -c tasker-app -n "__fish_tasker_app_using_subcommand check" -s h -l help -d 'Print help'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand check" -s V -l version -d 'Print version'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand completions" -s h -l help -d 'Print help'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand completions" -s V -l version -d 'Print version'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand help; and not __fish_seen_subcommand_from build update list-templates validate-environment install-database-objects catalog generate check completions help" -f -a "build" -d 'Generate a workflow app (and prepare its database when a URL is given)'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand help; and not __fish_seen_subcommand_from build update list-templates validate-environment install-database-objects catalog generate check completions help" -f -a "update" -d 'Bring an app to this tasker-app\'s templates, merging your edits (3-way)'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand help; and not __fish_seen_subcommand_from build update list-templates validate-environment install-database-objects catalog generate check completions help" -f -a "list-templates" -d 'List the workflow templates and their steps'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand help; and not __fish_seen_subcommand_from build update list-templates validate-environment install-database-objects catalog generate check completions help" -f -a "validate-environment" -d 'Check that this machine and database are ready, and say how to fix what is not'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand help; and not __fish_seen_subcommand_from build update list-templates validate-environment install-database-objects catalog generate check completions help" -f -a "install-database-objects" -d 'Copy the database views and functions into an app and apply them (or check for drift)'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand help; and not __fish_seen_subcommand_from build update list-templates validate-environment install-database-objects catalog generate check completions help" -f -a "catalog" -d 'Work with template catalogs (`catalog export DIR`)'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand help; and not __fish_seen_subcommand_from build update list-templates validate-environment install-database-objects catalog generate check completions help" -f -a "generate" -d 'Add your own workflow or step to an app: task template, step files, registry lines and a harness test, checked before anything is written'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand help; and not __fish_seen_subcommand_from build update list-templates validate-environment install-database-objects catalog generate check completions help" -f -a "check" -d 'Check an app\'s workflows: DAG, names, retry, input schema, a handler for every step and a step for every handler (as the app\'s `check`)'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand help; and not __fish_seen_subcommand_from build update list-templates validate-environment install-database-objects catalog generate check completions help" -f -a "completions" -d 'Print a shell completion script'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand help; and not __fish_seen_subcommand_from build update list-templates validate-environment install-database-objects catalog generate check completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand help; and __fish_seen_subcommand_from catalog" -f -a "export" -d 'Write the built-in catalog into DIR, as a start for your own (then: tasker-app build --catalog DIR)'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand help; and __fish_seen_subcommand_from generate" -f -a "workflow" -d 'A new workflow NAMESPACE/NAME, its steps and their order'
complete -c tasker-app -n "__fish_tasker_app_using_subcommand help; and __fish_seen_subcommand_from generate" -f -a "step" -d 'A new step NAMESPACE/NAME.STEP in an existing workflow'
