# Auto-refresh. Before a command runs, a role inside the renewal window (see
# __assume_role_window) is assumed again from the MFA session, without a
# question, once per role session; the helper says so in one line, or, when
# the MFA session has ended too, says once what to run. While time remains
# this runs builtins only: no process starts.
# ASSUME_ROLE_AUTO_REFRESH=0 turns it off.
function __assume_role_refresh --description 'Renew the role before a command when it is about to expire'
    test "$ASSUME_ROLE_AUTO_REFRESH" != 0; or return 0
    test -n "$AWS_ACCOUNT_ROLE"; or return 0
    # Only while the credentials are the ones assume-role exported: keys
    # another tool put in place since are not replaced behind its back.
    test -n "$AWS_ACCESS_KEY_ID"; and test "$AWS_ACCESS_KEY_ID" = "$ASSUME_ROLE_ACCESS_KEY_ID"; or return 0
    set -l expires "$ASSUME_ROLE_EXPIRES_AT"
    string match -qr '^[0-9]{1,12}$' -- $expires; or return 0
    test "$expires" != "$__assume_role_refresh_tried"; or return 0
    test (math $expires - (__assume_role_now)) -lt (__assume_role_window); or return 0
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
