# The renewal window, in seconds before the role session ends: the prompt
# segment shows the role as expiring inside it, and auto-refresh renews the
# role there. ASSUME_ROLE_REFRESH_BEFORE when it is a plain number of
# seconds, else the default.
function __assume_role_window --description 'Seconds before expiry from which the role is renewed'
    if string match -qr '^[0-9]{1,6}$' -- "$ASSUME_ROLE_REFRESH_BEFORE"
        echo $ASSUME_ROLE_REFRESH_BEFORE
    else
        echo 600
    end
end
