# assume-role for fish, loaded at start-up (by fisher, or by
# `assume-role init fish | source`). The functions and completions are
# autoloaded from functions/ and completions/; this file only decides about
# the prompt.
#
# ASSUME_ROLE_DISABLE_PROMPT (non-empty) keeps the segment out of the prompt.

status is-interactive; or exit 0

# The segment goes into the right prompt, and only when nothing else defines
# one: fish_prompt and an existing fish_right_prompt are never replaced, and
# starship has its own aws module. This is decided at the first prompt, once
# config.fish and every conf.d file have run, so a theme loaded after this
# file is still seen.
function __assume_role_auto_prompt --on-event fish_prompt
    functions -e __assume_role_auto_prompt
    set -q STARSHIP_SHELL; and return
    functions -q fish_right_prompt; and return
    function fish_right_prompt --description 'assume-role segment (no other right prompt was defined)'
        test -n "$ASSUME_ROLE_DISABLE_PROMPT"; or assume_role_prompt
    end
end

# Auto-refresh. Before a command runs, a role with less than
# ASSUME_ROLE_REFRESH_BEFORE seconds left (default 600) is assumed again from
# the MFA session, without a question, once per role session; the helper says
# so in one line, or, when the MFA session has ended too, says once what to
# run. While time remains this runs builtins only: no process starts.
# ASSUME_ROLE_AUTO_REFRESH=0 turns it off.
function __assume_role_refresh --on-event fish_preexec
    test "$ASSUME_ROLE_AUTO_REFRESH" != 0; or return 0
    test -n "$AWS_ACCOUNT_ROLE"; or return 0
    set -l expires "$ASSUME_ROLE_EXPIRES_AT"
    string match -qr '^[0-9]{1,12}$' -- $expires; or return 0
    test "$expires" != "$__assume_role_refresh_tried"; or return 0
    set -l before 600
    string match -qr '^[0-9]{1,6}$' -- "$ASSUME_ROLE_REFRESH_BEFORE"; and set before $ASSUME_ROLE_REFRESH_BEFORE
    test (math $expires - (__assume_role_now)) -lt $before; or return 0
    # Once per role session whatever the outcome: a failure is said once, not
    # before every command.
    set -g __assume_role_refresh_tried $expires
    set -l helper assume-role
    if set -q ASSUME_ROLE_COMMAND[1]; and test -n "$ASSUME_ROLE_COMMAND[1]"
        set helper $ASSUME_ROLE_COMMAND[1]
    end
    set -l code (command $helper __refresh --shell fish </dev/null); or return 0
    string join \n -- $code | source
    return 0
end
