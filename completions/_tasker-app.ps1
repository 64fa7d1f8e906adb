
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'tasker-app' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'tasker-app'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'tasker-app' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('build', 'build', [CompletionResultType]::ParameterValue, 'Generate a workflow app (and prepare its database when a URL is given)')
            [CompletionResult]::new('update', 'update', [CompletionResultType]::ParameterValue, 'Bring an app to this tasker-app''s templates, merging your edits (3-way)')
            [CompletionResult]::new('list-templates', 'list-templates', [CompletionResultType]::ParameterValue, 'List the workflow templates and their steps')
            [CompletionResult]::new('validate-environment', 'validate-environment', [CompletionResultType]::ParameterValue, 'Check that this machine and database are ready, and say how to fix what is not')
            [CompletionResult]::new('install-database-objects', 'install-database-objects', [CompletionResultType]::ParameterValue, 'Copy the database views and functions into an app and apply them (or check for drift)')
            [CompletionResult]::new('catalog', 'catalog', [CompletionResultType]::ParameterValue, 'Work with template catalogs (`catalog export DIR`)')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Add your own workflow or step to an app: task template, step files, registry lines and a harness test, checked before anything is written')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check an app''s workflows: DAG, names, retry, input schema, a handler for every step and a step for every handler (as the app''s `check`)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'tasker-app;build' {
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Workflow templates: ecommerce, inventory, customer-onboarding (alias: customer). Repeat or separate with commas. Default: all three')
            [CompletionResult]::new('--template', '--template', [CompletionResultType]::ParameterName, 'Workflow templates: ecommerce, inventory, customer-onboarding (alias: customer). Repeat or separate with commas. Default: all three')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Parent folder; the app goes to DIR/APP_NAME (a UTF-8 path). DIR/APP_NAME must be new, empty, or an app tasker-app generated (it has .tasker-app/manifest.toml); any other folder is refused (exit 3)')
            [CompletionResult]::new('--output-dir', '--output-dir', [CompletionResultType]::ParameterName, 'Parent folder; the app goes to DIR/APP_NAME (a UTF-8 path). DIR/APP_NAME must be new, empty, or an app tasker-app generated (it has .tasker-app/manifest.toml); any other folder is refused (exit 3)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database to prepare (engine migrations, views, functions) after writing files')
            [CompletionResult]::new('--api-base-url', '--api-base-url', [CompletionResultType]::ParameterName, 'Where the workflows'' external API lives (default: the app''s built-in fake-api)')
            [CompletionResult]::new('--catalog', '--catalog', [CompletionResultType]::ParameterName, 'Use the template catalog in DIR (laid out like `tasker-app catalog export`) [default: the one the app was generated from, else the built-in one]')
            [CompletionResult]::new('--on-conflict', '--on-conflict', [CompletionResultType]::ParameterName, 'What to do with files you changed since they were generated [default: abort, or ask when run in a terminal]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--skip-db', '--skip-db', [CompletionResultType]::ParameterName, 'Write files only; touch no database')
            [CompletionResult]::new('--observability', '--observability', [CompletionResultType]::ParameterName, 'Add tracing/metrics wiring and the compose services for it')
            [CompletionResult]::new('--no-shared-build', '--no-shared-build', [CompletionResultType]::ParameterName, 'Compile the app''s dependencies in its own target/, not in the build folder every app on this machine shares (CARGO_HOME/tasker-app/build/)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the plan (files, database steps); write nothing')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Never prompt')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Never prompt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'tasker-app;update' {
            [CompletionResult]::new('--add', '--add', [CompletionResultType]::ParameterName, 'Add a workflow template (repeat or separate with commas)')
            [CompletionResult]::new('--remove', '--remove', [CompletionResultType]::ParameterName, 'Remove a workflow template: its unchanged files are deleted, the ones you edited are kept and named (repeat or separate with commas)')
            [CompletionResult]::new('--catalog', '--catalog', [CompletionResultType]::ParameterName, 'Use the template catalog in DIR [default: the one the app was generated from]')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database to migrate after the files are updated (engine and app migrations, views, functions), as build does. [default: $DATABASE_URL]')
            [CompletionResult]::new('--on-conflict', '--on-conflict', [CompletionResultType]::ParameterName, 'What to do where your edits and the new templates change the same lines [default: abort, or ask when run in a terminal]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--skip-db', '--skip-db', [CompletionResultType]::ParameterName, 'Write files only; touch no database')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print unified diffs of everything that would change; write nothing')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Never prompt')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Never prompt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'tasker-app;list-templates' {
            [CompletionResult]::new('--catalog', '--catalog', [CompletionResultType]::ParameterName, 'Use the template catalog in DIR (laid out like `tasker-app catalog export`)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'tasker-app;validate-environment' {
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database to check')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'tasker-app;install-database-objects' {
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database to install into')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--check', '--check', [CompletionResultType]::ParameterName, 'Compare the live database with every function and view in APP_DIR/db (yours included; tasker-app''s own when there is no db/); exit 5 on drift')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print what would run; change nothing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'tasker-app;catalog' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Write the built-in catalog into DIR, as a start for your own (then: tasker-app build --catalog DIR)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'tasker-app;catalog;export' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'tasker-app;catalog;help' {
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Write the built-in catalog into DIR, as a start for your own (then: tasker-app build --catalog DIR)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'tasker-app;catalog;help;export' {
            break
        }
        'tasker-app;catalog;help;help' {
            break
        }
        'tasker-app;generate' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('workflow', 'workflow', [CompletionResultType]::ParameterValue, 'A new workflow NAMESPACE/NAME, its steps and their order')
            [CompletionResult]::new('step', 'step', [CompletionResultType]::ParameterValue, 'A new step NAMESPACE/NAME.STEP in an existing workflow')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'tasker-app;generate;workflow' {
            [CompletionResult]::new('--step', '--step', [CompletionResultType]::ParameterName, 'A step and the steps it waits for: NAME or NAME:PARENT,PARENT (repeatable, in any order)')
            [CompletionResult]::new('--input', '--input', [CompletionResultType]::ParameterName, 'A field of the task''s input: NAME:TYPE, TYPE one of string, email, integer, number, boolean, object, array (repeatable; all required)')
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Take the steps, their order and the input schema from a task template YAML')
            [CompletionResult]::new('--app', '--app', [CompletionResultType]::ParameterName, 'The app folder [default: the current folder]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print what would be written; write nothing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'tasker-app;generate;step' {
            [CompletionResult]::new('--after', '--after', [CompletionResultType]::ParameterName, 'The steps it waits for (comma-separated; none: it starts with the task)')
            [CompletionResult]::new('--app', '--app', [CompletionResultType]::ParameterName, 'The app folder [default: the current folder]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print what would be written; write nothing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'tasker-app;generate;help' {
            [CompletionResult]::new('workflow', 'workflow', [CompletionResultType]::ParameterValue, 'A new workflow NAMESPACE/NAME, its steps and their order')
            [CompletionResult]::new('step', 'step', [CompletionResultType]::ParameterValue, 'A new step NAMESPACE/NAME.STEP in an existing workflow')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'tasker-app;generate;help;workflow' {
            break
        }
        'tasker-app;generate;help;step' {
            break
        }
        'tasker-app;generate;help;help' {
            break
        }
        'tasker-app;check' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'tasker-app;completions' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'tasker-app;help' {
            [CompletionResult]::new('build', 'build', [CompletionResultType]::ParameterValue, 'Generate a workflow app (and prepare its database when a URL is given)')
            [CompletionResult]::new('update', 'update', [CompletionResultType]::ParameterValue, 'Bring an app to this tasker-app''s templates, merging your edits (3-way)')
            [CompletionResult]::new('list-templates', 'list-templates', [CompletionResultType]::ParameterValue, 'List the workflow templates and their steps')
            [CompletionResult]::new('validate-environment', 'validate-environment', [CompletionResultType]::ParameterValue, 'Check that this machine and database are ready, and say how to fix what is not')
            [CompletionResult]::new('install-database-objects', 'install-database-objects', [CompletionResultType]::ParameterValue, 'Copy the database views and functions into an app and apply them (or check for drift)')
            [CompletionResult]::new('catalog', 'catalog', [CompletionResultType]::ParameterValue, 'Work with template catalogs (`catalog export DIR`)')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Add your own workflow or step to an app: task template, step files, registry lines and a harness test, checked before anything is written')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check an app''s workflows: DAG, names, retry, input schema, a handler for every step and a step for every handler (as the app''s `check`)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'tasker-app;help;build' {
            break
        }
        'tasker-app;help;update' {
            break
        }
        'tasker-app;help;list-templates' {
            break
        }
        'tasker-app;help;validate-environment' {
            break
        }
        'tasker-app;help;install-database-objects' {
            break
        }
        'tasker-app;help;catalog' {
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Write the built-in catalog into DIR, as a start for your own (then: tasker-app build --catalog DIR)')
            break
        }
        'tasker-app;help;catalog;export' {
            break
        }
        'tasker-app;help;generate' {
            [CompletionResult]::new('workflow', 'workflow', [CompletionResultType]::ParameterValue, 'A new workflow NAMESPACE/NAME, its steps and their order')
            [CompletionResult]::new('step', 'step', [CompletionResultType]::ParameterValue, 'A new step NAMESPACE/NAME.STEP in an existing workflow')
            break
        }
        'tasker-app;help;generate;workflow' {
            break
        }
        'tasker-app;help;generate;step' {
            break
        }
        'tasker-app;help;check' {
            break
        }
        'tasker-app;help;completions' {
            break
        }
        'tasker-app;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
