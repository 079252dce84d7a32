# shellcheck shell=bash
#
# assume-role for bash: the `assume-role` function, tab completion and a
# prompt segment. Load it from ~/.bashrc with the line that
# `assume-role init --help` shows (and the README's install table), which
# stays silent when assume-role is not on PATH, or source this file directly. Every private name starts with _assume_role_.
# It must load cleanly under `set -eu`, so every optional variable is read as
# ${name-}.
#
# Settings (shell variables, read at each use):
#   ASSUME_ROLE_COMMAND          the helper program (default: assume-role on PATH)
#   ASSUME_ROLE_DISABLE_PROMPT   non-empty: do not add the segment to PS1
#   ASSUME_ROLE_PS1_COLOR_VALID, ASSUME_ROLE_PS1_COLOR_EXPIRING,
#   ASSUME_ROLE_PS1_COLOR_EXPIRED
#                                SGR colour codes (default 32, 33, 31);
#                                set one to empty for no colour

# Runs the helper itself, never this function: `command` skips functions.
_assume_role_helper() {
    if [[ -n ${ASSUME_ROLE_COMMAND-} ]]; then
        command "$ASSUME_ROLE_COMMAND" "$@"
    else
        command assume-role "$@"
    fi
}

assume-role() {
    # The helper alone decides what is shell code: with --shell its stdout
    # carries nothing else, and text for people (status, help, init, the demo)
    # goes to the descriptor named by --output-fd, here this function's own
    # stdout. So whatever stdout holds is applied, and no word is guessed at.
    # stdin, stderr and the terminal stay with the helper so that its pickers
    # and MFA prompt work. The code is applied only when the helper succeeded,
    # so a failure changes nothing in this shell. It learns this shell's
    # process (for a served shell, see `assume-role serve`) for this run only.
    local _assume_role_code
    { _assume_role_code=$(ASSUME_ROLE_SHELL_PID=$$ _assume_role_helper --shell bash --output-fd 3 "$@"); } 3>&1 || return
    eval "$_assume_role_code"
}

# ---------------------------------------------------------------------------
# Prompt segment. Runs before every prompt, so it must not fork: the clock is
# read from EPOCHSECONDS (bash 5) or printf's %()T (bash 4.2), and all the
# arithmetic and formatting are builtins.

if [[ -n ${EPOCHSECONDS-} ]]; then
    _assume_role_clock='epochseconds'
elif ((BASH_VERSINFO[0] > 4 || (BASH_VERSINFO[0] == 4 && BASH_VERSINFO[1] >= 2))); then
    _assume_role_clock='printf'
else
    # bash 3.2 (macOS /bin/bash) has no clock builtin: show the label only.
    _assume_role_clock=''
fi

# The renewal window, in seconds before the role session ends: the segment
# shows the role as expiring inside it, and auto-refresh renews the role there.
_assume_role_window_default=600

# Sets _assume_role_before to the window: ASSUME_ROLE_REFRESH_BEFORE when it
# is a plain number of seconds, else the default.
_assume_role_window() {
    _assume_role_before=${ASSUME_ROLE_REFRESH_BEFORE-}
    # Globs, not =~: a regex is compiled at every use, and this runs per prompt.
    [[ -n $_assume_role_before && $_assume_role_before != *[!0-9]* && ${#_assume_role_before} -le 6 ]] ||
        _assume_role_before=$_assume_role_window_default
}

# Sets _assume_role_label (account:role), _assume_role_left (42m, 1h05m,
# expired or empty) and _assume_role_state (valid, expiring, expired or
# unknown). Returns 1 when no role is assumed in this shell, or when its
# credentials were replaced since.
_assume_role_segment() {
    _assume_role_label='' _assume_role_left='' _assume_role_state=''
    local account=${AWS_ACCOUNT_NAME:-${AWS_ACCOUNT_ID-}} role=${AWS_ACCOUNT_ROLE-}
    [[ -n $account && -n $role ]] || return 1
    # Control characters from a config file must not reach the terminal.
    _assume_role_label=${account//[[:cntrl:]]/?}:${role//[[:cntrl:]]/?}
    # A served shell: the credential server renews the role, so no time shows.
    if [[ -n ${ASSUME_ROLE_SERVED_URI-} && ${AWS_CONTAINER_CREDENTIALS_FULL_URI-} == "$ASSUME_ROLE_SERVED_URI" ]]; then
        _assume_role_state=valid _assume_role_left=served
        return 0
    fi
    # Only while the credentials are the ones assume-role exported: another
    # tool that replaced them leaves the label behind, which must not show.
    [[ -n ${AWS_ACCESS_KEY_ID-} && $AWS_ACCESS_KEY_ID == "${ASSUME_ROLE_ACCESS_KEY_ID-}" ]] || return 1
    _assume_role_state=unknown
    local expires=${ASSUME_ROLE_EXPIRES_AT-} now
    [[ $expires =~ ^[0-9]{1,12}$ && -n $_assume_role_clock ]] || return 0
    if [[ $_assume_role_clock == epochseconds ]]; then
        now=$EPOCHSECONDS
    else
        printf -v now '%(%s)T' -1
    fi
    # 10# keeps a leading zero from meaning octal.
    local left=$((10#$expires - now)) minutes
    if ((left <= 0)); then
        _assume_role_state=expired _assume_role_left=expired
        return 0
    fi
    _assume_role_window
    ((left < 10#$_assume_role_before)) && _assume_role_state=expiring || _assume_role_state=valid
    minutes=$((left / 60))
    if ((minutes >= 60)); then
        printf -v _assume_role_left '%dh%02dm' $((minutes / 60)) $((minutes % 60))
    elif ((minutes > 0)); then
        _assume_role_left=${minutes}m
    else
        _assume_role_left='<1m'
    fi
}

# Sets _assume_role_text to the segment formatted with printf FORMAT and
# coloured by state. The colour codes are wrapped in \001 and \002, the raw
# form of PS1's \[ and \], so readline does not count them as width even where
# \[ is not decoded (a command substitution or a variable expanded in PS1).
_assume_role_format() {
    _assume_role_text=
    _assume_role_segment || return 0
    local text=$_assume_role_label color
    [[ -n $_assume_role_left ]] && text+=" $_assume_role_left"
    case $_assume_role_state in
    expiring) color=${ASSUME_ROLE_PS1_COLOR_EXPIRING-33} ;;
    expired) color=${ASSUME_ROLE_PS1_COLOR_EXPIRED-31} ;;
    *) color=${ASSUME_ROLE_PS1_COLOR_VALID-32} ;;
    esac
    if [[ -n $color ]]; then
        text=$'\001\e['"${color}m"$'\002'"$text"$'\001\e[0m\002'
    fi
    # %s only: the label comes from a config file and must not be a format.
    # shellcheck disable=SC2059 # FORMAT is the caller's, as with __git_ps1
    printf -v _assume_role_text "$1" "$text"
}

# The segment for PS1, in the style of git's __git_ps1:
#
#   PS1='\u@\h:\w$(assume_role_ps1 " (%s)")\$ '
#       prints the segment (nothing when no role is assumed); FORMAT defaults
#       to " (%s)". Costs a subshell per prompt, as __git_ps1 does.
#   PROMPT_COMMAND='assume_role_ps1 "\u@\h:\w" "\\\$ "'
#       sets PS1 to PRE, the segment, then POST, without a subshell.
assume_role_ps1() {
    local status=$?
    if (($# >= 2)); then
        _assume_role_format "${3- (%s)}"
        _assume_role_ps1_text=$_assume_role_text
        if shopt -q promptvars; then
            # PS1 names the variable instead of holding its text, so nothing
            # taken from a config file is ever decoded or expanded as PS1.
            PS1=$1'${_assume_role_ps1_text-}'$2
        else
            # Without promptvars only backslash escapes are decoded.
            PS1=$1${_assume_role_ps1_text//\\/\\\\}$2
        fi
    else
        _assume_role_format "${1- (%s)}"
        printf '%s' "$_assume_role_text"
    fi
    return "$status"
}

# The automatic segment: "(account:role 42m) " in front of PS1, like a
# virtualenv's name. It is added only when it is safe and wanted: not when
# disabled, not when the prompt already shows assume_role_ps1, not when
# starship draws the prompt (it has its own aws module; its hook function says
# so, where an inherited STARSHIP_SHELL would not), and only when promptvars is on,
# because PS1 then holds a reference to _assume_role_prompt rather than text
# from a config file.
_assume_role_auto_prompt() {
    [[ -z ${ASSUME_ROLE_DISABLE_PROMPT-} ]] || return 1
    shopt -q promptvars || return 1
    ! declare -F starship_precmd >/dev/null || return 1
    [[ ${PS1-} != *assume_role_ps1* && ${PROMPT_COMMAND[*]-} != *assume_role_ps1* ]]
}

# shellcheck disable=SC2016 # the reference itself goes into PS1, unexpanded
_assume_role_ref='${_assume_role_prompt-}'

# Runs from PROMPT_COMMAND after the other hooks, so they still see the exit
# status of the user's command; it hands that status on unchanged. There it
# is called as _assume_role_hook below: $1 is that status, read before
# anything else runs, and $2 the DEBUG trap while auto-refresh waits to be
# installed (see "Auto-refresh" below). bash-preexec calls it with neither.
_assume_role_prompt_command() {
    local status=$?
    (($# == 0)) || status=$1
    if [[ -n ${_assume_role_refresh_pending-} ]]; then
        # The trap as read by PROMPT_COMMAND itself, not from inside
        # another function, where bash hides it.
        local seen=
        (($# >= 2 && ${#FUNCNAME[@]} == 1)) && seen=1
        _assume_role_install_refresh "$seen" "${2-}"
    fi
    _assume_role_refresh_armed=1
    _assume_role_prompt=
    if _assume_role_auto_prompt; then
        _assume_role_format '(%s) '
        _assume_role_prompt=$_assume_role_text
        # Prefixed, never substituted: the user's prompt stays as it is. The
        # reference is added once there is something to show and left in
        # place afterwards (it expands to nothing when no role is assumed).
        if [[ -n $_assume_role_prompt && ${PS1-} != *"$_assume_role_ref"* ]]; then
            PS1=$_assume_role_ref${PS1-}
        fi
    elif [[ ${PS1-} == *"$_assume_role_ref"* ]]; then
        PS1=${PS1//"$_assume_role_ref"/}
    fi
    return "$status"
}

_assume_role_prompt=
_assume_role_ps1_text=

# Runs the hook after the others: in bash-preexec's precmd_functions when that
# library owns the prompt, else at the end of PROMPT_COMMAND.
_assume_role_install_hook() {
    local hook=_assume_role_prompt_command
    if [[ -n ${bash_preexec_imported-}${__bp_imported-} ]]; then
        [[ " ${precmd_functions[*]-} " == *" $hook "* ]] || precmd_functions+=("$hook")
    else
        _assume_role_add_prompt_command "$_assume_role_hook"
    fi
}

# The hook as PROMPT_COMMAND runs it. "$?" is expanded first, before the
# command substitution could change it, which runs only while auto-refresh
# waits to be installed: no process starts at later prompts.
# shellcheck disable=SC2016 # expanded when PROMPT_COMMAND runs
_assume_role_hook='_assume_role_prompt_command "$?" "${_assume_role_refresh_pending:+$(trap -p DEBUG)}"'

# Adds the command line $1, whose first word is one of this file's functions,
# at the end of PROMPT_COMMAND, in whichever form that has: a new element for
# an array (bash 5.1 runs each one), else a new line in the string, which ends
# the command before it without changing it (a ';' after a trailing '&' would
# be a syntax error). Nothing changes when that function is there already.
_assume_role_add_prompt_command() {
    if [[ -z ${PROMPT_COMMAND+set} ]]; then
        # Unset, or an empty array: assigning sets element 0 either way.
        PROMPT_COMMAND=$1
    elif [[ " ${PROMPT_COMMAND[*]} " == *[[:space:]\;]"${1%% *}"[[:space:]\;]* ]]; then
        : already there, from loading this file twice
    elif ((BASH_VERSINFO[0] * 100 + BASH_VERSINFO[1] >= 404)) && [[ ${PROMPT_COMMAND@a} == *a* ]]; then
        PROMPT_COMMAND+=("$1")
    elif [[ -z ${PROMPT_COMMAND[0]} ]]; then
        PROMPT_COMMAND=$1
    else
        PROMPT_COMMAND+=$'\n'$1
    fi
}

# ---------------------------------------------------------------------------
# Tab completion. The helper decides what fits at the cursor (accounts, roles,
# regions, subcommands, options); this only turns bash's view of the command
# line into words and its answer into COMPREPLY. It needs nothing from the
# bash-completion package, and works the same whether that is loaded or not.

# Sets _assume_role_words to the words from the command name up to the cursor.
# bash splits words at COMP_WORDBREAKS characters, so `--shell=zsh` or `a:b`
# arrive in pieces; pieces with no space between them in the command line are
# joined again. Quotes and backslashes are then removed.
_assume_role_comp_words() {
    _assume_role_words=()
    local line=${COMP_LINE:0:COMP_POINT} pos=0 i word joined n
    for ((i = 0; i <= COMP_CWORD; i++)); do
        joined=1
        while [[ ${line:pos:1} == [[:space:]] ]]; do
            pos=$((pos + 1)) joined=0
        done
        if ((i == COMP_CWORD)); then
            word=${line:pos}
        else
            word=${COMP_WORDS[i]}
        fi
        pos=$((pos + ${#word}))
        n=${#_assume_role_words[@]}
        if ((i > 0 && joined && n > 0)); then
            _assume_role_words[n - 1]+=$word
        else
            _assume_role_words+=("$word")
        fi
    done
    for ((i = 0; i < ${#_assume_role_words[@]}; i++)); do
        _assume_role_unquote "${_assume_role_words[i]}"
        _assume_role_words[i]=$_assume_role_unquoted
    done
}

# Undoes the quoting a user types: '...', "..." and backslash escapes. Sets
# _assume_role_unquoted, and for a quote still open at the end (the word
# being completed) _assume_role_quote to its character and
# _assume_role_quoted_from to how much of the result came before it.
_assume_role_unquote() {
    local word=$1 out='' c quote='' from=0
    while [[ -n $word ]]; do
        c=${word:0:1} word=${word:1}
        if [[ $quote == "'" ]]; then
            if [[ $c == "'" ]]; then quote=; else out+=$c; fi
        elif [[ $quote == '"' ]]; then
            if [[ $c == '"' ]]; then
                quote=
            elif [[ $c == "\\" && ${word:0:1} == [\$\`\"\\] ]]; then
                # Inside "...", a backslash escapes only these.
                out+=${word:0:1} word=${word:1}
            else
                out+=$c
            fi
        elif [[ $c == "'" || $c == '"' ]]; then
            quote=$c from=${#out}
        elif [[ $c == "\\" ]]; then
            out+=${word:0:1} word=${word:1}
        else
            out+=$c
        fi
    done
    _assume_role_unquoted=$out _assume_role_quote=$quote _assume_role_quoted_from=$from
}

# Quotes each candidate for the inside of the quote the word left open, where
# readline puts it (it adds the closing quote itself). Inside '...' only ' is
# special; inside "..." a backslash escapes \ $ ` and ", and a ! (history
# expansion) is written outside the quotes, as "\!".
_assume_role_quote_inside() {
    local i c special
    # shellcheck disable=SC2016 # the characters themselves, not expansions
    if [[ $1 == "'" ]]; then special="*'*"; else special='*[\$`"!\\]*'; fi
    local IFS=$'\n'
    # One match over all of them spares a loop through thousands of aliases.
    # shellcheck disable=SC2053 # unquoted on purpose: it is a pattern
    [[ "${COMPREPLY[*]}" == $special ]] || return 0
    for i in "${!COMPREPLY[@]}"; do
        c=${COMPREPLY[i]}
        if [[ $1 == "'" ]]; then
            c=${c//\'/\'\\\'\'}
        else
            c=${c//\\/\\\\}
            c=${c//\$/\\\$}
            c=${c//\`/\\\`}
            c=${c//\"/\\\"}
            c=${c//!/\"\\!\"}
        fi
        COMPREPLY[i]=$c
    done
}

_assume_role_complete() {
    local _assume_role_words _assume_role_unquoted _assume_role_quote _assume_role_quoted_from
    local cur trim='' i quoted
    _assume_role_comp_words
    cur=${_assume_role_words[${#_assume_role_words[@]} - 1]}
    COMPREPLY=()
    # Captured whole, then split: bash reads a pipe one byte at a time, which
    # for 10,000 aliases costs more than the helper itself.
    local out
    out=$(_assume_role_helper __complete --shell bash -- "${_assume_role_words[@]:1}" 2>/dev/null)
    [[ -n $out ]] || return 0
    if ((BASH_VERSINFO[0] >= 4)); then
        mapfile -t COMPREPLY <<<"$out"
    else
        while IFS= read -r quoted; do
            COMPREPLY+=("$quoted")
        done <<<"$out"
    fi
    if [[ -n $_assume_role_quote ]]; then
        # Inside an open quote readline replaces only the text after it.
        trim=${cur:0:_assume_role_quoted_from}
        [[ -z $trim ]] || COMPREPLY=("${COMPREPLY[@]#"$trim"}")
        _assume_role_quote_inside "$_assume_role_quote"
        return 0
    fi
    # bash replaces only the text after the last word-break character, so
    # that much of what was typed is cut from each candidate.
    if [[ $cur == *[=:]* ]]; then
        trim=${cur%"${cur##*[=:]}"}
        if [[ $COMP_WORDBREAKS == *"${trim: -1}"* ]]; then
            COMPREPLY=("${COMPREPLY[@]#"$trim"}")
        fi
    fi
    # Quote for the command line. Aliases rarely need it: one match over all
    # of them spares a loop through thousands.
    local IFS=$'\n' unsafe=$'*[^[:alnum:]_.:@%+=/\n-]*'
    # shellcheck disable=SC2053 # unquoted on purpose: it is a pattern
    [[ "${COMPREPLY[*]}" == $unsafe ]] || return 0
    for i in "${!COMPREPLY[@]}"; do
        printf -v quoted '%q' "${COMPREPLY[i]}"
        COMPREPLY[i]=$quoted
    done
}

complete -F _assume_role_complete assume-role
_assume_role_install_hook

# ---------------------------------------------------------------------------
# Auto-refresh. Before a command runs, a role inside the renewal window (see
# _assume_role_window) is assumed again from the MFA session, without a
# question, once per role session; the helper says so in one line, or, when
# the MFA session has ended too, says once what to run. While time remains
# this is shell arithmetic only: no process starts.
# ASSUME_ROLE_AUTO_REFRESH=0 turns it off.
#
# "Before a command" is bash-preexec's preexec when that library is loaded,
# else a DEBUG trap. The trap fires before every simple command, so it acts
# only on the first one after a prompt: the prompt hook above arms it, the
# trap disarms it. A DEBUG trap that was set before (a command timer,
# starship's) keeps running, after this one.

_assume_role_refresh() {
    [[ ${ASSUME_ROLE_AUTO_REFRESH-1} != 0 && -n ${AWS_ACCOUNT_ROLE-} && -n $_assume_role_clock ]] || return 0
    # Only while the credentials are the ones assume-role exported: keys
    # another tool put in place since are not replaced behind its back.
    [[ -n ${AWS_ACCESS_KEY_ID-} && $AWS_ACCESS_KEY_ID == "${ASSUME_ROLE_ACCESS_KEY_ID-}" ]] || return 0
    local expires=${ASSUME_ROLE_EXPIRES_AT-} now
    # Globs, not =~: a regex is compiled at every use, and this runs per command.
    [[ -n $expires && $expires != *[!0-9]* && ${#expires} -le 12 ]] || return 0
    [[ $expires != "${_assume_role_refresh_tried-}" ]] || return 0
    if [[ $_assume_role_clock == epochseconds ]]; then
        now=$EPOCHSECONDS
    else
        printf -v now '%(%s)T' -1
    fi
    _assume_role_window
    ((10#$expires - now < 10#$_assume_role_before)) || return 0
    # Once per role session whatever the outcome: a failure is said once,
    # not before every command.
    _assume_role_refresh_tried=$expires
    local _assume_role_code
    _assume_role_code=$(_assume_role_helper __refresh --shell bash </dev/null) || return 0
    eval "$_assume_role_code"
}

# The DEBUG trap: `_assume_role_refresh_trap "$_"`. Calling a function with $_
# as its last argument leaves $_ as it was for the user's command. The DEBUG
# trap that was there before runs afterwards as it did on its own: with the
# exit status and $_ of the command before, and its own exit status decides
# (under extdebug) whether the command runs.
_assume_role_refresh_trap() {
    local status=$?
    # Not for this file's own prompt hook, which runs twice when a prompt
    # framework runs it too (see _assume_role_install_refresh) and arms the
    # trap again.
    if [[ -n ${_assume_role_refresh_armed-} && $BASH_COMMAND != _assume_role_prompt_command* ]]; then
        _assume_role_refresh_armed=
        _assume_role_refresh
    fi
    [[ -n ${_assume_role_prior_trap-} ]] || return 0
    _assume_role_status "$status" "$1"
    eval "$_assume_role_prior_trap"
}

# Sets $? to $1 and, being a function call, $_ to its last argument.
_assume_role_status() {
    return "$1"
}

# shellcheck disable=SC2016 # the trap expands $_ when it runs
_assume_role_trap_command='_assume_role_refresh_trap "$_"'

# The trap is installed at the first prompt rather than while this file is
# read: bash hides the DEBUG trap from a file being sourced (and from a
# function), so a trap set here would silently replace the user's. The
# prompt hook reads `trap -p DEBUG` in PROMPT_COMMAND itself, at the top
# level, where bash shows it; that also sees a trap or bash-preexec set up
# later in ~/.bashrc. $1 is non-empty when $2 is the trap as read there.
_assume_role_install_refresh() {
    if [[ -n ${bash_preexec_imported-}${__bp_imported-} ]]; then
        [[ " ${preexec_functions[*]-} " == *" _assume_role_refresh "* ]] || preexec_functions+=(_assume_role_refresh)
    elif [[ -z $1 ]]; then
        # Run from inside another function (a prompt framework that runs
        # the earlier PROMPT_COMMAND from its own hook), the trap is not to
        # be seen: tried again from PROMPT_COMMAND itself at the next prompt.
        _assume_role_add_prompt_command "$_assume_role_hook"
        return 0
    elif [[ $2 != *"$_assume_role_trap_command"* ]]; then
        # `trap -- 'COMMAND' DEBUG`, quoted by bash for reuse as input.
        local -a words
        eval "words=($2)"
        _assume_role_prior_trap=${words[2]-}
        trap -- "$_assume_role_trap_command" DEBUG
    fi
    _assume_role_refresh_pending=
}

[[ $- != *i* ]] || _assume_role_refresh_pending=1
