# assume-role for fish, loaded at start-up (by fisher, or by
# `assume-role init fish | source`). The functions and completions are
# autoloaded from functions/ and completions/; this file only decides about
# the prompt.
#
# ASSUME_ROLE_DISABLE_PROMPT (non-empty) keeps the segment out of the prompt.

status is-interactive; or exit 0

# The segment goes into the right prompt, in front of any right prompt there
# already is (a theme's, or your own fish_right_prompt), which is kept and
# still sees the exit status of your command. It stays out of a prompt drawn
# by starship, which has its own aws module. This is decided at the first
# prompt, once config.fish and every conf.d file have run, so a theme loaded
# after this file is still seen; sourcing this file again wraps nothing twice.
function __assume_role_auto_prompt --on-event fish_prompt
    functions -e __assume_role_auto_prompt
    # Decided from the prompt in use: an inherited STARSHIP_SHELL says
    # nothing about this shell.
    functions -q fish_prompt
    and string match -q '*starship prompt*' -- (functions fish_prompt)
    and return
    if functions -q fish_right_prompt
        string match -q '*__assume_role_right_prompt*' -- (functions fish_right_prompt)
        and return
        functions -c fish_right_prompt __assume_role_user_right_prompt
    end
    function fish_right_prompt --description 'assume-role segment, then the right prompt defined before'
        __assume_role_right_prompt $status
    end
end

# Draws the segment, then the right prompt that was there before, called with
# the exit status of the user's command again.
function __assume_role_right_prompt --argument-names last_status
    if test -z "$ASSUME_ROLE_DISABLE_PROMPT"
        set -l segment (assume_role_prompt)
        test -n "$segment"; and printf '%s ' "$segment"
    end
    if functions -q __assume_role_user_right_prompt
        __assume_role_status $last_status
        __assume_role_user_right_prompt
    end
end

function __assume_role_status --argument-names code
    return $code
end

# Auto-refresh before each command: see functions/__assume_role_refresh.fish.
# An event handler must exist at start-up; the check itself is autoloaded.
function __assume_role_on_preexec --on-event fish_preexec
    __assume_role_refresh
end
