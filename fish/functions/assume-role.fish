# assume-role for fish: runs the helper and applies the variables it prints.
# Private names start with __assume_role_.

function assume-role --description 'Assume an AWS IAM role in this shell'
    set -l helper assume-role
    if set -q ASSUME_ROLE_COMMAND[1]; and test -n "$ASSUME_ROLE_COMMAND[1]"
        set helper $ASSUME_ROLE_COMMAND[1]
    end
    # The helper alone decides what is shell code: with --shell its stdout
    # carries nothing else, and text for people (status, help, init, the
    # demo) goes to the descriptor named by --output-fd, here this function's
    # own stdout. So whatever stdout holds is applied, and no word is guessed
    # at. stdin, stderr and the terminal stay with the helper so that its
    # pickers and MFA prompt work. A command substitution would not see the
    # block's descriptor 3, so the code is read from a pipe instead, whole
    # (-z: up to a NUL, which the code never holds). `command` runs the
    # helper itself, never this function.
    set -l code
    set -l helper_status
    begin
        # This shell's process, for this run only (a served shell, see
        # `assume-role serve`).
        set -lx ASSUME_ROLE_SHELL_PID $fish_pid
        command $helper --shell fish --output-fd 3 $argv | read -z code
        set helper_status $pipestatus[1]
    end 3>&1
    # Applied only when the helper succeeded, so a failure changes nothing.
    test $helper_status -eq 0; or return $helper_status
    test -n "$code"; or return 0
    printf '%s' $code | source
end
