# Completion for assume-role. The helper works out what fits at the cursor
# (accounts with their ids, roles, regions, subcommands, options) and prints
# "value<TAB>description" lines, the form `complete -a` shows.

function __assume_role_complete
    set -l helper assume-role
    if set -q ASSUME_ROLE_COMMAND[1]; and test -n "$ASSUME_ROLE_COMMAND[1]"
        set helper $ASSUME_ROLE_COMMAND[1]
    end
    # Tokens before the cursor without the command name, then the token
    # being completed.
    set -l words (commandline -opc)[2..-1]
    command $helper __complete --shell fish -- $words (commandline -ct) 2>/dev/null
end

complete -c assume-role -f -a '(__assume_role_complete)'
