# The prompt segment: `account:role 42m`, coloured by the time left, or
# nothing when no role is assumed in this shell (or its credentials were
# replaced since). Use it in fish_prompt or fish_right_prompt:
#
#   function fish_right_prompt
#       assume_role_prompt
#   end
#
# Colours (arguments for set_color, lists allowed):
#   assume_role_color_valid     default green
#   assume_role_color_expiring  default yellow, inside the renewal window
#                               (see __assume_role_window)
#   assume_role_color_expired   default red
#
# It runs at every prompt, so it starts no process: fish runs builtins and
# functions inside command substitutions itself.

function assume_role_prompt --description 'Show the assumed AWS role and the time left'
    set -l account $AWS_ACCOUNT_NAME
    test -n "$account"; or set account $AWS_ACCOUNT_ID
    test -n "$account"; and test -n "$AWS_ACCOUNT_ROLE"; or return 0
    # Control characters from a config file must not reach the terminal.
    set -l text (string replace -ra '[[:cntrl:]]' '?' -- "$account:$AWS_ACCOUNT_ROLE")
    set -l color $assume_role_color_valid
    set -q color[1]; or set color green
    # A served shell: the credential server renews the role, so no time shows.
    # (The x keeps test from reading a value as an operator.)
    if test -n "$ASSUME_ROLE_SERVED_URI"; and test "x$AWS_CONTAINER_CREDENTIALS_FULL_URI" = "x$ASSUME_ROLE_SERVED_URI"
        set_color $color
        printf '%s served' $text
        set_color normal
        return 0
    end
    # Only while the credentials are the ones assume-role exported: another
    # tool that replaced them leaves the label behind, which must not show.
    test -n "$AWS_ACCESS_KEY_ID"; and test "x$AWS_ACCESS_KEY_ID" = "x$ASSUME_ROLE_ACCESS_KEY_ID"; or return 0

    set -l expires "$ASSUME_ROLE_EXPIRES_AT"
    if string match -qr '^[0-9]{1,12}$' -- $expires
        set -l left (math $expires - (__assume_role_now))
        if test $left -le 0
            set text "$text expired"
            set color $assume_role_color_expired
            set -q color[1]; or set color red
        else
            if test $left -lt (__assume_role_window)
                set color $assume_role_color_expiring
                set -q color[1]; or set color yellow
            end
            set -l minutes (math "floor($left / 60)")
            if test $minutes -ge 60
                set text "$text "(printf '%dh%02dm' (math "floor($minutes / 60)") (math $minutes % 60))
            else if test $minutes -gt 0
                set text "$text "$minutes"m"
            else
                set text "$text <1m"
            end
        end
    end
    set_color $color
    printf '%s' $text
    set_color normal
end

# The current time in epoch seconds. fish has no clock builtin; `path mtime`
# prints a file's modification time and, with --relative, the seconds since
# then, so their sum is now without starting `date`. Any file will do: / is
# always there.
function __assume_role_now
    if builtin -q path
        math (path mtime /) + (path mtime --relative /)
    else
        # fish before 3.5 has no `path`: a process per prompt is the only way.
        date +%s
    end
end
