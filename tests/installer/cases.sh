# shellcheck shell=sh
# shellcheck disable=SC2154,SC2034,SC2016 # variables cross files (set in run.sh, read in lib.sh); sh -c scripts take $1 on purpose
#
# tests/installer/cases.sh: one function per case, named t_<case>. Each runs in
# a fresh sandbox from new_sandbox (lib.sh): $t_home is HOME, $t_spare a folder
# outside HOME, and the whole of $t_root is compared before/after where the
# case promises "nothing changed".

MARK='# added by the tasker-app installer'

# The login shell, .bashrc and fish all see PREFIX/bin exactly once.
path_lines_once() { # RCFILE...
    for _pl_f in "$@"; do
        _pl_n=$(grep -cF -- "$MARK" "$_pl_f" 2>/dev/null)
        [ "$_pl_n" = 1 ] || fail "$_pl_f has $_pl_n marked lines, expected 1"
    done
}

no_path_lines() {
    for _np_f in "$t_home/.profile" "$t_home/.bashrc" "$t_home/.zshrc" \
        "$t_home/.config/fish/conf.d/tasker-app.fish"; do
        if [ -f "$_np_f" ] && grep -qF -- "$MARK" "$_np_f"; then
            fail "$_np_f got a PATH line"
        fi
    done
    check_not "receipt records an rc edit" grep -q '^rc=' "$(receipt_of "$t_home")"
}

# `. FILE` in SHELL finds tasker-app at EXPECTED, and PATH holds it once even
# after sourcing twice.
resolves_via() { # SHELL FILE EXPECTED_BIN
    _rv_out=$(env -i HOME="$t_home" PATH=/usr/bin:/bin "$1" -c \
        '. "$1"; . "$1"; command -v tasker-app; printf "%s\n" "$PATH" | tr ":" "\n" | grep -cxF "$2"' \
        sh "$2" "${3%/*}" 2>&1)
    [ "$_rv_out" = "$3
1" ] || fail "$1 sourcing $2 gives: $(printf '%s' "$_rv_out" | tr '\n' ' ') (expected $3 once on PATH)"
}

t_shellcheck() {
    if ! shellcheck "$repo/install.sh" "$repo"/scripts/*.sh "$repo"/tests/installer/*.sh \
        >"$t_log/shellcheck" 2>&1; then
        fail "shellcheck:"
        sed 's/^/        /' "$t_log/shellcheck" >>"$t_log/report"
    fi
}

t_package() {
    (cd "$dist_good" && sha256sum -c "$archive_name.sha256") >/dev/null 2>&1 ||
        fail "sha256sum -c rejects $archive_name"
    tar -tzf "$dist_good/$archive_name" >"$t_log/list" || fail "tar cannot list the archive"
    check "archive has $pkg_dir/tasker-app" grep -qx "$pkg_dir/tasker-app" "$t_log/list"
    if [ -f "$repo/README.md" ]; then
        check "archive has $pkg_dir/README.md" grep -qx "$pkg_dir/README.md" "$t_log/list"
    fi
    check "LATEST holds $version" [ "$(cat "$dist_good/LATEST")" = "$version" ]
    check "archive is named for the host $host" [ "$archive_name" = "tasker-app-$version-$host.tar.gz" ]
}

t_usage() {
    snapshot "$t_root" >"$t_log/before"
    inst --help
    expect_rc 0 "--help"
    check "--help lists --from-source" grep -qF -- --from-source "$t_log/out"
    inst --bogus
    expect_rc 2 "unknown option"
    expect_err "unknown option '--bogus'" "unknown option"
    inst --from-source --version 1.0.0
    expect_rc 2 "--from-source with --version"
    inst --version 'x;y' -y
    expect_rc 2 "bad --version"
    snapshot_same "usage errors changed files" "$t_log/before"
    tmp_is_clean
}

# A download cut anywhere runs nothing: at whole lines, and (issue 17) at every
# byte of the file's last 40 that loses code, where a cut right after `main `
# used to run an install with the defaults. Piped (as curl | sh runs it) and
# from a file. (Only the final newline missing: the whole program is there.)
t_truncated_script() {
    snapshot "$t_root" >"$t_log/before"
    _tr_total=$(wc -l <"$repo/install.sh")
    for _tr_keep in $((_tr_total / 4)) $((_tr_total / 2)) $((_tr_total * 3 / 4)) $((_tr_total - 1)); do
        head -n "$_tr_keep" "$repo/install.sh" >"$t_dir/cut.sh"
        T_SCRIPT=$t_dir/cut.sh
        inst --version "$version" -y
        check_not "a script cut after $_tr_keep lines printed info lines" grep -q '^info:' "$t_log/err"
    done
    _tr_bytes=$(wc -c <"$repo/install.sh")
    _tr_keep=$((_tr_bytes - 40))
    while [ "$_tr_keep" -lt $((_tr_bytes - 1)) ]; do
        head -c "$_tr_keep" "$repo/install.sh" >"$t_dir/cut.sh"
        T_SCRIPT=$t_dir/cut.sh
        inst --prefix "$t_spare/cut" -y
        check_not "a script cut after byte $_tr_keep ran ($(tail -c 12 "$t_dir/cut.sh" | tr '\n' '|'))" \
            grep -q '^info:' "$t_log/err"
        env -i HOME="$t_home" PATH="$T_PATH" TMPDIR="$t_tmp" TASKER_APP_DOWNLOAD_URL="$T_URL" \
            "$timeout_bin" 60 "$setsid_bin" -w sh -c 'sh -s -- -y <"$1"' sh "$t_dir/cut.sh" \
            </dev/null >/dev/null 2>"$t_log/err"
        check_not "a piped script cut after byte $_tr_keep ran" grep -q '^info:' "$t_log/err"
        _tr_keep=$((_tr_keep + 1))
    done
    T_SCRIPT=$repo/install.sh
    snapshot_same "a truncated script changed files" "$t_log/before"
}

t_release_install() {
    printf 'alias ll="ls -l"\n' >"$t_home/.bashrc"
    printf '# zsh\n' >"$t_home/.zshrc"
    mkdir -p "$t_home/.config/fish"
    inst --version "$version" -y
    expect_rc 0 "release install"
    _ri_bin=$t_home/.local/bin/tasker-app
    check "binary is executable" [ -x "$_ri_bin" ]
    check "binary reports $version" sh -c '"$1" --version | grep -qF "$2"' sh "$_ri_bin" "$version"
    _ri_r=$(receipt_of "$t_home")
    check "receipt exists" [ -f "$_ri_r" ]
    check_count "receipt has the version" "$_ri_r" "version=$version" 1
    check_count "receipt lists the binary" "$_ri_r" "file=$_ri_bin" 1
    for _ri_c in .local/share/bash-completion/completions/tasker-app \
        .local/share/zsh/site-functions/_tasker-app \
        .config/fish/completions/tasker-app.fish; do
        check "completion $_ri_c is installed" [ -s "$t_home/$_ri_c" ]
        check_count "receipt lists $_ri_c" "$_ri_r" "file=$t_home/$_ri_c" 1
    done
    check "the bash completion loads in bash" bash -c \
        '. "$1" && complete -p tasker-app' sh "$t_home/.local/share/bash-completion/completions/tasker-app"
    path_lines_once "$t_home/.profile" "$t_home/.bashrc" "$t_home/.zshrc" \
        "$t_home/.config/fish/conf.d/tasker-app.fish"
    check ".bashrc keeps the user's line" grep -qxF 'alias ll="ls -l"' "$t_home/.bashrc"
    resolves_via sh "$t_home/.profile" "$_ri_bin"
    resolves_via bash "$t_home/.bashrc" "$_ri_bin"
    expect_err "checksum verified" "release install"
    check "nothing on stdout" [ ! -s "$t_log/out" ]
    tmp_is_clean
}

t_latest_with_wget() {
    T_DL=wget
    if ! command -v wget >/dev/null 2>&1; then
        note "    (wget not found: the latest release is fetched with curl)"
        T_DL=curl
    fi
    inst --prefix "$t_spare/opt" -y
    expect_rc 0 "install of the latest release with wget"
    check "latest ($version) is installed" sh -c '"$1" --version | grep -qF "$2"' \
        sh "$t_spare/opt/bin/tasker-app" "$version"
    check_count "receipt says $version" "$(receipt_of "$t_home")" "version=$version" 1
    tmp_is_clean
}

t_twice_is_harmless() {
    printf 'export EDITOR=vi\n' >"$t_home/.bashrc"
    snapshot "$t_root" >"$t_log/before"
    inst --version "$version" -y
    expect_rc 0 "first install"
    snapshot "$t_root" >"$t_log/after1"
    cp "$(receipt_of "$t_home")" "$t_log/receipt1"
    inst --version "$version" -y
    expect_rc 0 "second install"
    expect_err "updating the existing install" "second install"
    snapshot_same "the second run changed files" "$t_log/after1"
    check "the receipt is unchanged" cmp -s "$t_log/receipt1" "$(receipt_of "$t_home")"
    path_lines_once "$t_home/.profile" "$t_home/.bashrc"
    inst --uninstall -y
    expect_rc 0 "uninstall after two installs"
    snapshot_same "install twice + uninstall is not a no-op" "$t_log/before"
    tmp_is_clean
}

# A bad archive never gets past the temp folder: neither on a fresh machine nor
# over an existing install.
t_tampered_refused() {
    snapshot "$t_root" >"$t_log/before"
    T_URL=$base_url/tampered
    inst --version "$version" -y
    expect_rc 1 "tampered archive"
    expect_err "checksum mismatch" "tampered archive"
    expect_err "nothing was installed" "tampered archive"
    snapshot_same "a tampered archive changed files" "$t_log/before"
    T_URL=$base_url/good
    inst --version "$version" -y
    expect_rc 0 "good install"
    snapshot "$t_root" >"$t_log/installed"
    T_URL=$base_url/tampered
    inst --version "$version" -y
    expect_rc 1 "tampered upgrade"
    snapshot_same "a tampered upgrade changed the install" "$t_log/installed"
    tmp_is_clean
}

# PATH with everything install.sh needs except sha256sum, shasum and openssl.
t_no_hash_tool() {
    mkdir -p "$t_dir/bin"
    for _nh_tool in uname mktemp mkdir rm cp mv chmod rmdir dirname sed grep tr tail cat awk wc readlink tar gzip curl; do
        ln -s "$(command -v "$_nh_tool")" "$t_dir/bin/$_nh_tool"
    done
    T_PATH=$t_dir/bin
    snapshot "$t_root" >"$t_log/before"
    inst --version "$version" -y
    expect_rc 1 "install without a hashing tool"
    expect_err "no sha256 tool found" "install without a hashing tool"
    snapshot_same "a refused unverifiable install changed files" "$t_log/before"
    inst --version "$version" -y --no-verify
    expect_rc 0 "--no-verify"
    expect_err "NOT verifying" "--no-verify"
    check "--no-verify installed the binary" [ -x "$t_home/.local/bin/tasker-app" ]
    tmp_is_clean
}

t_uninstall_exact() {
    mkdir -p "$t_home/.local/bin" "$t_home/.local/share/bash-completion/completions" \
        "$t_home/.config/fish/conf.d" "$t_spare/dotfiles"
    printf '#!/bin/sh\necho decoy\n' >"$t_home/.local/bin/decoy-tool"
    chmod 755 "$t_home/.local/bin/decoy-tool"
    printf 'complete -F _git git\n' >"$t_home/.local/share/bash-completion/completions/git"
    printf 'export A=1' >"$t_home/.bashrc" # no final newline
    printf '# mine\n' >"$t_home/.profile"
    printf 'set -x B 2\n' >"$t_home/.config/fish/conf.d/other.fish"
    printf 'setopt autocd\n' >"$t_spare/dotfiles/zshrc"
    ln -s "$t_spare/dotfiles/zshrc" "$t_home/.zshrc" # dotfiles managed by symlink
    snapshot "$t_root" >"$t_log/before"
    inst --version "$version" -y
    expect_rc 0 "install"
    check "the PATH line goes through the .zshrc symlink" grep -qF -- "$MARK" "$t_spare/dotfiles/zshrc"
    check ".zshrc is still a symlink" [ -L "$t_home/.zshrc" ]
    check "decoy is still there after install" [ -f "$t_home/.local/bin/decoy-tool" ]
    inst --uninstall -y
    expect_rc 0 "uninstall"
    snapshot_same "uninstall did not restore the sandbox exactly" "$t_log/before"
    inst --uninstall -y
    expect_rc 1 "uninstall without a receipt"
    expect_err "no receipt" "uninstall without a receipt"
    tmp_is_clean
}

# A receipt edited to list someone else's files: --uninstall leaves them alone.
t_uninstall_ignores_foreign_entries() {
    printf 'keep me\n' >"$t_home/.bashrc"
    printf 'notes\n' >"$t_spare/notes.txt"
    inst --version "$version" -y
    expect_rc 0 "install"
    printf 'file=%s\nfile=%s\ndir=%s\n' "$t_home/.bashrc" "$t_spare/notes.txt" "$t_spare" \
        >>"$(receipt_of "$t_home")"
    inst --uninstall -y
    expect_rc 0 "uninstall"
    expect_err "which this installer never creates" "uninstall with foreign entries"
    check ".bashrc survives" grep -qx 'keep me' "$t_home/.bashrc"
    check "notes.txt survives" [ -f "$t_spare/notes.txt" ]
    check "the binary is gone" [ ! -e "$t_home/.local/bin/tasker-app" ]
}

t_already_on_path() {
    printf '# bashrc\n' >"$t_home/.bashrc"
    T_PATH=$t_home/.local/bin:$base_path
    inst --version "$version" -y
    expect_rc 0 "install with PREFIX/bin on PATH"
    expect_err "already on PATH" "install with PREFIX/bin on PATH"
    check "no .profile was created" [ ! -e "$t_home/.profile" ]
    no_path_lines
}

t_no_modify_path() {
    printf '# bashrc\n' >"$t_home/.bashrc"
    inst --version "$version" -y --no-modify-path
    expect_rc 0 "--no-modify-path"
    check "no .profile was created" [ ! -e "$t_home/.profile" ]
    no_path_lines
}

# curl | sh with no terminal and no -y: no prompt, no hang, defaults used.
t_piped_without_tty() {
    inst_piped --version "$version" --prefix "$t_spare/opt"
    [ "$rc" != 124 ] || fail "the piped install hung (killed by timeout)"
    expect_rc 0 "piped install without a terminal"
    expect_err "no terminal to ask on" "piped install without a terminal"
    check "binary installed" [ -x "$t_spare/opt/bin/tasker-app" ]
    tmp_is_clean
}

# With a terminal (a pty from script(1)) and the script on stdin, the questions
# are read from /dev/tty.
t_prompts_on_tty() {
    if ! command -v script >/dev/null 2>&1; then
        note "    (script(1) not found: prompt test skipped)"
        return 0
    fi
    snapshot "$t_root" >"$t_log/before"
    _pt_cmd="cat '$repo/install.sh' | sh -s -- --version '$version'"
    printf 'n\n' | env -i HOME="$t_home" PATH="$T_PATH" TMPDIR="$t_tmp" TERM=dumb \
        TASKER_APP_DOWNLOAD_URL="$T_URL" "$timeout_bin" 60 script -qec "$_pt_cmd" /dev/null \
        >"$t_log/err" 2>&1
    rc=$?
    t_runs=$((t_runs + 1))
    log_run "(tty) answering n: $_pt_cmd"
    [ "$rc" != 124 ] || fail "the prompt hung"
    expect_err "Proceed?" "prompt on the terminal"
    expect_err "cancelled" "answering n"
    snapshot_same "answering n changed files" "$t_log/before"
    printf 'y\nn\n' | env -i HOME="$t_home" PATH="$T_PATH" TMPDIR="$t_tmp" TERM=dumb \
        TASKER_APP_DOWNLOAD_URL="$T_URL" "$timeout_bin" 60 script -qec "$_pt_cmd" /dev/null \
        >"$t_log/err" 2>&1
    rc=$?
    t_runs=$((t_runs + 1))
    log_run "(tty) answering y, n: $_pt_cmd"
    expect_rc 0 "answering y then n"
    check "binary installed after y" [ -x "$t_home/.local/bin/tasker-app" ]
    no_path_lines
    tmp_is_clean
}

# Exactly the README's first command: from the checkout, `sh install.sh --from-source -y`.
t_source_install() {
    snapshot "$t_root" >"$t_log/before"
    T_CWD=$repo
    T_SCRIPT=install.sh
    inst --from-source -y
    expect_rc 0 "install --from-source (cargo install --path $repo)"
    _si_bin=$t_home/.local/bin/tasker-app
    check "binary reports $version" sh -c '"$1" --version | grep -qF "$2"' sh "$_si_bin" "$version"
    _si_r=$(receipt_of "$t_home")
    check_count "receipt names the source" "$_si_r" "source=source $repo" 1
    check_count "receipt has the version" "$_si_r" "version=$version" 1
    check "no cargo metadata in the prefix" [ ! -e "$t_home/.local/.crates.toml" ]
    inst --uninstall -y
    expect_rc 0 "uninstall after a source install"
    snapshot_same "source install + uninstall is not a no-op" "$t_log/before"
    tmp_is_clean
}

t_source_needs_checkout() {
    snapshot "$t_root" >"$t_log/before"
    inst_piped --from-source -y
    expect_rc 2 "piped --from-source without a path"
    expect_err "--from-source needs the path of a tasker-app checkout" "piped --from-source"
    inst --from-source "$t_spare" -y
    expect_rc 1 "--from-source of a folder without Cargo.toml"
    snapshot_same "a refused source install changed files" "$t_log/before"
}

t_other_prefix_refused() {
    inst --version "$version" -y --prefix "$t_spare/a"
    expect_rc 0 "install into a"
    snapshot "$t_root" >"$t_log/before"
    inst --version "$version" -y --prefix "$t_spare/b"
    expect_rc 1 "install into b over a"
    expect_err "already installed in $t_spare/a" "install into b over a"
    snapshot_same "the refused second prefix changed files" "$t_log/before"
}

# Spaces and a quote in the prefix, and the installer run by bash instead of dash.
t_odd_prefix_under_bash() {
    T_SH=$(command -v bash)
    printf '# bashrc\n' >"$t_home/.bashrc"
    mkdir -p "$t_home/.config/fish"
    snapshot "$t_root" >"$t_log/before"
    _op_prefix="$t_spare/my tools/it's here"
    inst --version "$version" -y --prefix "$_op_prefix"
    expect_rc 0 "install into an odd prefix"
    resolves_via sh "$t_home/.profile" "$_op_prefix/bin/tasker-app"
    resolves_via bash "$t_home/.bashrc" "$_op_prefix/bin/tasker-app"
    if command -v fish >/dev/null 2>&1; then
        _op_fish=$(env -i HOME="$t_home" PATH=/usr/bin:/bin fish -c 'command -v tasker-app')
        [ "$_op_fish" = "$_op_prefix/bin/tasker-app" ] || fail "fish finds '$_op_fish'"
    fi
    inst --uninstall -y
    expect_rc 0 "uninstall from an odd prefix"
    snapshot_same "odd prefix install + uninstall is not a no-op" "$t_log/before"
}

# A fake TOOL on PATH that misbehaves only when one of its arguments names
# .bashrc (everything else goes to the real tool): BEHAVIOUR is `fail` (exit 1,
# as a full disk or a read-only folder would) or `lose` (write nothing, exit 0,
# as a write lost without an error would).
fake_tool() { # TOOL BEHAVIOUR
    _ft_real=$(PATH=$base_path command -v "$1")
    mkdir -p "$t_dir/fakebin"
    case $2 in
        fail) _ft_do='exit 1' ;;
        lose) _ft_do='exit 0' ;;
    esac
    printf '#!/bin/sh\nfor a in "$@"; do case $a in *bashrc*) %s ;; esac; done\nexec %s "$@"\n' \
        "$_ft_do" "$_ft_real" >"$t_dir/fakebin/$1"
    chmod 755 "$t_dir/fakebin/$1"
    T_PATH=$t_dir/fakebin:$base_path
}

no_rc_temp_files() {
    _nr_left=$(find "$t_home" -name '*.tasker-app.*.tmp' | tr '\n' ' ')
    [ -z "$_nr_left" ] || fail "temp files left beside startup files: $_nr_left"
}

# Issue 11: uninstall kept only what `$(cat ...)` left, stripping the user's own
# trailing newlines (and blank lines at the end).
t_uninstall_keeps_trailing_newlines() {
    printf 'export A=1\n\n\n' >"$t_home/.bashrc"
    printf '# mine\n' >"$t_home/.profile"
    chmod 640 "$t_home/.bashrc"
    snapshot "$t_root" >"$t_log/before"
    inst --version "$version" -y
    expect_rc 0 "install"
    check ".bashrc got the PATH line" grep -qF -- "$MARK" "$t_home/.bashrc"
    inst --uninstall -y
    expect_rc 0 "uninstall"
    snapshot_same "uninstall did not give back .bashrc byte for byte" "$t_log/before"
    check ".bashrc keeps its mode" [ -n "$(find "$t_home/.bashrc" -perm 640)" ]
    no_rc_temp_files

    # A file without a final newline gets one before our line; lines the user
    # adds after ours (blank ones at the end included) must all survive.
    printf 'setopt autocd' >"$t_home/.zshrc"
    inst --version "$version" -y
    expect_rc 0 "install with a .zshrc lacking its final newline"
    printf '\nalias ll=ls\n\n' >>"$t_home/.zshrc"
    inst --uninstall -y
    expect_rc 0 "uninstall after the user added lines"
    printf 'setopt autocd\n\nalias ll=ls\n\n' >"$t_log/zshrc.expected"
    check ".zshrc keeps every line and newline the user added" cmp -s "$t_log/zshrc.expected" "$t_home/.zshrc"
    no_rc_temp_files
}

# Issue 11: when a step of the edit fails (here: the rename, the copy, or a
# write that silently loses its data), the startup file is left exactly as it
# was and the installer exits non-zero.
t_rc_edit_failure_loses_nothing() {
    printf 'export A=1\nalias ll="ls -l"\n' >"$t_home/.bashrc"
    inst --version "$version" -y
    expect_rc 0 "install"
    cp "$t_home/.bashrc" "$t_log/bashrc.installed"
    _rf_ok_path=$T_PATH
    for _rf_case in "mv fail" "awk fail" "awk lose" "cp fail"; do
        T_PATH=$_rf_ok_path
        rm -rf "$t_dir/fakebin"
        # shellcheck disable=SC2086 # two words on purpose
        fake_tool $_rf_case
        inst --uninstall -y
        check_not "uninstall with a failing $_rf_case succeeded" [ "$rc" = 0 ]
        expect_err "it was left unchanged" "uninstall with $_rf_case"
        check ".bashrc is untouched after uninstall with $_rf_case" cmp -s "$t_log/bashrc.installed" "$t_home/.bashrc"
        no_rc_temp_files
    done
    T_PATH=$_rf_ok_path
    rm -rf "$t_dir/fakebin"
    inst --uninstall -y
    expect_rc 0 "uninstall once the tools work again"
    check_not ".bashrc still has the PATH line" grep -qF -- "$MARK" "$t_home/.bashrc"
    check ".bashrc keeps the user's lines" [ "$(cat "$t_home/.bashrc")" = 'export A=1
alias ll="ls -l"' ]

    # The same for the install's append.
    cp "$t_home/.bashrc" "$t_log/bashrc.before"
    fake_tool cp fail
    inst --version "$version" -y
    check_not "install with a failing copy succeeded" [ "$rc" = 0 ]
    expect_err "it was left unchanged" "install with a failing copy"
    check ".bashrc is untouched after a failed install" cmp -s "$t_log/bashrc.before" "$t_home/.bashrc"
    no_rc_temp_files
    tmp_is_clean
}

# ---------------------------------------------------------------- issue 17

# The printed `export PATH=` line works when pasted, whatever the prefix holds.
t_path_hint_is_quoted() {
    _ph_prefix="$t_spare/a \$HOME \`id\` \"q\" it's; x"
    inst --version "$version" -y --no-modify-path --prefix "$_ph_prefix"
    expect_rc 0 "install into a prefix with shell characters"
    _ph_hint=$(sed -n 's/^info: to use it in this shell now, run:  //p' "$t_log/err")
    [ -n "$_ph_hint" ] || fail "no export PATH hint printed"
    _ph_found=$(env -i HOME="$t_home" PATH=/usr/bin:/bin sh -c "$_ph_hint; command -v tasker-app" 2>&1)
    [ "$_ph_found" = "$_ph_prefix/bin/tasker-app" ] ||
        fail "the printed hint \`$_ph_hint\` gives '$_ph_found'"
}

# Two installs at once: both succeed (the second waits for the first), and
# an uninstall then gives back the sandbox exactly (no folder left behind).
t_concurrent_installs() {
    printf '# bashrc\n' >"$t_home/.bashrc"
    snapshot "$t_root" >"$t_log/before"
    _ci_pids=
    for _ci_n in 1 2 3; do
        (
            T_OUT=run$_ci_n.
            inst --version "$version" -y
            printf '%s\n' "$rc" >"$t_log/run$_ci_n.rc"
        ) &
        _ci_pids="$_ci_pids $!"
    done
    # (not a bare `wait`: the HTTP server is a child too)
    for _ci_pid in $_ci_pids; do
        wait "$_ci_pid"
    done
    for _ci_n in 1 2 3; do
        _ci_rc=$(cat "$t_log/run$_ci_n.rc")
        [ "$_ci_rc" = 0 ] || fail "install $_ci_n of 3 at once: exit $_ci_rc: $(tr '\n' ' ' <"$t_log/run$_ci_n.err")"
    done
    path_lines_once "$t_home/.profile" "$t_home/.bashrc"
    check "the lock is gone" [ ! -e "$t_home/.tasker-app.install.lock" ]
    inst --uninstall -y
    expect_rc 0 "uninstall after installs at once"
    snapshot_same "installs at once + uninstall is not a no-op" "$t_log/before"
    tmp_is_clean
}

# TMPDIR on a file system with no room: said so, not "release not found".
t_full_tmpdir() {
    if ! mount -t tmpfs -o size=64k tmpfs "$t_tmp" 2>/dev/null; then
        note "    (cannot mount a small tmpfs here: full TMPDIR case skipped)"
        return 0
    fi
    snapshot "$t_root" >"$t_log/before"
    inst --version "$version" -y
    expect_rc 1 "install with a full TMPDIR"
    expect_err "TMPDIR is full" "install with a full TMPDIR"
    check_not "a full TMPDIR is reported as a missing release" grep -q 'not found\|exists for' "$t_log/err"
    snapshot_same "an install with a full TMPDIR changed files" "$t_log/before"
    tmp_is_clean
    umount "$t_tmp"
}

# Error lines are the installer's own: no raw `sh:` lines. A read-only startup
# file is said to be read-only (not "disk full?") and is left as it was.
t_read_only_startup_file() {
    T_AS=
    if [ "$(id -u)" = 0 ]; then
        # root writes read-only files: run the installer as nobody.
        command -v setpriv >/dev/null 2>&1 || {
            note "    (running as root without setpriv: read-only case skipped)"
            return 0
        }
        T_AS="setpriv --reuid=65534 --regid=65534 --clear-groups"
    fi
    printf 'export A=1\n' >"$t_home/.bashrc"
    chmod 444 "$t_home/.bashrc"
    if [ -n "$T_AS" ]; then
        chown -R 65534:65534 "$t_root" "$t_tmp"
        chmod 755 "$work" "$work/cases" "$t_dir" # mktemp -d made $work private
    fi
    cp -p "$t_home/.bashrc" "$t_log/bashrc.before"
    inst --version "$version" -y
    check_not "an install that cannot edit .bashrc succeeded" [ "$rc" = 0 ]
    expect_err ".bashrc: it is read-only" "read-only .bashrc"
    check_not "a raw shell error line" grep -Eq '^(sh|dash|bash|.*install\.sh): ' "$t_log/err"
    check_not "a read-only file blamed on a full disk" grep -qi 'disk full' "$t_log/err"
    check ".bashrc is untouched" cmp -s "$t_log/bashrc.before" "$t_home/.bashrc"
    no_rc_temp_files
    tmp_is_clean
}
