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

# Auto-refresh before each command: see functions/__assume_role_refresh.fish.
# An event handler must exist at start-up; the check itself is autoloaded.
function __assume_role_on_preexec --on-event fish_preexec
    __assume_role_refresh
end
