# assume-role for fish: runs the helper and applies the variables it prints.
# Private names start with __assume_role_.

function assume-role --description 'Assume an AWS IAM role in this shell'
    set -l helper assume-role
    if set -q ASSUME_ROLE_COMMAND[1]; and test -n "$ASSUME_ROLE_COMMAND[1]"
        set helper $ASSUME_ROLE_COMMAND[1]
    end
    # `command` runs the helper itself, never this function.
    if contains -- "$argv[1]" init status logout demo exec credential-process console help __complete -h --help -V --version
        # Not shell code: let the output reach the terminal as it is.
        command $helper $argv
        return
    end
    # Only stdout is captured: stdin, stderr and the terminal stay with the
    # helper so that its pickers and MFA prompt work. Its output is applied
    # only when it succeeded, so a failure changes nothing in this shell.
    set -l code (command $helper --shell fish $argv)
    or return
    # The substitution split the output into lines; joined again, a value
    # that spans lines inside its quotes is whole again.
    string join \n -- $code | source
    # The status of the last line sourced (`set -e` of a variable that was
    # not set is 4) says nothing about whether the role was assumed.
    return 0
end
