# assume-role for zsh: the `assume-role` function, tab completion and a
# prompt segment. Load it with the ~/.zshrc line that `assume-role init --help`
# shows (and the README's install table), which stays silent when assume-role
# is not on PATH, or as a plugin from this directory: oh-my-zsh (custom plugin
# `assume-role`), antidote or zinit (see the README for where compinit goes).
# Every private name starts with _assume_role_.
#
# Settings (shell variables, read at each prompt):
#   ASSUME_ROLE_COMMAND          the helper program (default: assume-role on PATH)
#   ASSUME_ROLE_DISABLE_PROMPT   non-empty: do not put the segment in RPROMPT
#   ZSH_THEME_ASSUME_ROLE_PREFIX, ZSH_THEME_ASSUME_ROLE_SUFFIX
#                                around the segment (default: empty)
#   ZSH_THEME_ASSUME_ROLE_VALID, ZSH_THEME_ASSUME_ROLE_EXPIRING,
#   ZSH_THEME_ASSUME_ROLE_EXPIRED
#                                prompt escapes before the text in each state
#                                (default %F{green}, %F{yellow}, %F{red});
#                                %f follows the text
#
# Prompt functions:
#   assume_role_prompt_info      oh-my-zsh style: PROMPT='...$(assume_role_prompt_info)'
#   prompt_assume_role           powerlevel10k segment `assume_role`, states
#                                VALID, EXPIRING, EXPIRED and UNKNOWN

# Whatever options the user's shell has (ksh_arrays, sh_word_split, no_unset,
# err_exit, or `emulate sh`), this file's code runs with zsh's own: each
# function starts with `emulate -L zsh`, and so does the anonymous function
# that does the loading, which also restores the user's options afterwards.
() {
  emulate -L zsh
  # The plugin's own directory, wherever it was sourced from (%x is the file
  # being read, which also holds under plugin managers that source it by
  # path).
  typeset -g _assume_role_dir=${${(%):-%x}:A:h}

  # The completion function lives next to this file. On fpath it is found by
  # a compinit that runs later; when compinit has already run, compdef
  # registers it now.
  if (( ! ${fpath[(Ie)$_assume_role_dir]} )); then
    fpath=($_assume_role_dir $fpath)
  fi
  if (( ${+functions[compdef]} )); then
    autoload -Uz _assume-role
    compdef _assume-role assume-role
  fi

  # EPOCHSECONDS lets the prompt read the clock without running date.
  zmodload -F zsh/datetime p:EPOCHSECONDS 2>/dev/null || true
  autoload -Uz add-zsh-hook
}

# Runs the helper itself, never this function: `command` skips functions.
_assume_role_helper() {
  emulate -L zsh
  if [[ -n ${ASSUME_ROLE_COMMAND-} ]]; then
    command "$ASSUME_ROLE_COMMAND" "$@"
  else
    command assume-role "$@"
  fi
}

assume-role() {
  emulate -L zsh
  # The helper alone decides what is shell code: with --shell its stdout
  # carries nothing else, and text for people (status, help, init, the demo)
  # goes to the descriptor named by --output-fd, here this function's own
  # stdout. So whatever stdout holds is applied, and no word is guessed at.
  # stdin, stderr and the terminal stay with the helper so that its pickers
  # and MFA prompt work. The code is applied only when the helper succeeded,
  # so a failure changes nothing in this shell. It learns this shell's
  # process (for a served shell, see `assume-role serve`) for this run only.
  local _assume_role_code
  { _assume_role_code=$(ASSUME_ROLE_SHELL_PID=$$ _assume_role_helper --shell zsh --output-fd 3 "$@") } 3>&1 || return
  eval "$_assume_role_code"
}

# The renewal window, in seconds before the role session ends: the segment
# shows the role as expiring inside it, and auto-refresh renews the role there.
typeset -g _assume_role_window_default=600

# Sets _assume_role_before to the window: ASSUME_ROLE_REFRESH_BEFORE when it
# is a plain number of seconds, else the default.
_assume_role_window() {
  emulate -L zsh
  typeset -g _assume_role_before=${ASSUME_ROLE_REFRESH_BEFORE-}
  [[ $_assume_role_before == <-> && ${#_assume_role_before} -le 6 ]] || _assume_role_before=$_assume_role_window_default
  # 10# keeps a leading zero from meaning octal (with octal_zeroes set).
  _assume_role_before=$(( 10#$_assume_role_before ))
}

# Sets _assume_role_label (account:role, escaped for prompt expansion),
# _assume_role_left (42m, 1h05m, expired or empty) and _assume_role_state
# (valid, expiring, expired or unknown). Returns 1 when no role is assumed,
# or when its credentials were replaced since.
# Runs before every prompt: builtins only, nothing forks.
_assume_role_segment() {
  # Read before emulate resets it: with prompt_bang the prompt turns a ! into
  # the history number.
  local bang=0
  [[ -o prompt_bang ]] && bang=1
  emulate -L zsh
  typeset -g _assume_role_label='' _assume_role_left='' _assume_role_state=''
  local account=${AWS_ACCOUNT_NAME:-${AWS_ACCOUNT_ID-}} role=${AWS_ACCOUNT_ROLE-}
  [[ -n $account && -n $role ]] || return 1
  # A served shell: the credential server renews the role, so no time shows.
  local served=0
  [[ -n ${ASSUME_ROLE_SERVED_URI-} && ${AWS_CONTAINER_CREDENTIALS_FULL_URI-} == "$ASSUME_ROLE_SERVED_URI" ]] && served=1
  # Only while the credentials are the ones assume-role exported: another
  # tool that replaced them leaves the label behind, which must not show.
  (( served )) || [[ -n ${AWS_ACCESS_KEY_ID-} && $AWS_ACCESS_KEY_ID == "${ASSUME_ROLE_ACCESS_KEY_ID-}" ]] || return 1
  # The alias comes from a config file: a % (or, with prompt_bang, a !) in it
  # must print as itself, and control characters must not reach the terminal.
  account=${account//[[:cntrl:]]/?} role=${role//[[:cntrl:]]/?}
  _assume_role_label=${account//\%/%%}:${role//\%/%%}
  (( ! bang )) || _assume_role_label=${_assume_role_label//\!/!!}
  if (( served )); then
    _assume_role_state=valid _assume_role_left=served
    return 0
  fi
  _assume_role_state=unknown
  local expires=${ASSUME_ROLE_EXPIRES_AT-}
  [[ $expires == <-> && ${#expires} -le 12 && -n ${EPOCHSECONDS-} ]] || return 0
  # 10# keeps a leading zero from meaning octal (with octal_zeroes set).
  local -i left=$(( 10#$expires - EPOCHSECONDS )) minutes
  if (( left <= 0 )); then
    _assume_role_state=expired _assume_role_left=expired
    return 0
  fi
  _assume_role_window
  if (( left < _assume_role_before )); then
    _assume_role_state=expiring
  else
    _assume_role_state=valid
  fi
  minutes=$(( left / 60 ))
  if (( minutes >= 60 )); then
    printf -v _assume_role_left '%dh%02dm' $(( minutes / 60 )) $(( minutes % 60 ))
  elif (( minutes > 0 )); then
    _assume_role_left=${minutes}m
  else
    _assume_role_left='<1m'
  fi
}

# Sets REPLY to the segment styled with the ZSH_THEME_ASSUME_ROLE_* variables,
# ready for prompt expansion; empty when no role is assumed.
_assume_role_render() {
  emulate -L zsh
  REPLY=''
  _assume_role_segment || return 0
  local style
  case $_assume_role_state in
    (expiring) style=${ZSH_THEME_ASSUME_ROLE_EXPIRING-%F{yellow}} ;;
    (expired) style=${ZSH_THEME_ASSUME_ROLE_EXPIRED-%F{red}} ;;
    (*) style=${ZSH_THEME_ASSUME_ROLE_VALID-%F{green}} ;;
  esac
  REPLY=${ZSH_THEME_ASSUME_ROLE_PREFIX-}$style$_assume_role_label${_assume_role_left:+ $_assume_role_left}%f${ZSH_THEME_ASSUME_ROLE_SUFFIX-}
}

# oh-my-zsh style, for a theme's PROMPT or RPROMPT (with prompt_subst, which
# oh-my-zsh sets): '$(assume_role_prompt_info)'. The output of a command
# substitution is not expanded again, so only % needed escaping.
assume_role_prompt_info() {
  emulate -L zsh
  local REPLY
  _assume_role_render
  print -rn -- "$REPLY"
}

# powerlevel10k segment: add `assume_role` to
# POWERLEVEL9K_LEFT_PROMPT_ELEMENTS or POWERLEVEL9K_RIGHT_PROMPT_ELEMENTS.
# Style each state with POWERLEVEL9K_ASSUME_ROLE_<STATE>_FOREGROUND and the
# like, where STATE is VALID, EXPIRING, EXPIRED or UNKNOWN.
prompt_assume_role() {
  emulate -L zsh
  _assume_role_segment || return 0
  local fg
  case $_assume_role_state in
    (expiring) fg=yellow ;;
    (expired) fg=red ;;
    (*) fg=green ;;
  esac
  # -t text goes through prompt expansion only, and the label is escaped.
  p10k segment -s ${(U)_assume_role_state} -f $fg -r -i AWS_ICON \
    -t "$_assume_role_label${_assume_role_left:+ $_assume_role_left}"
}

# powerlevel10k's instant prompt (shown while ~/.zshrc still loads) replays
# the `p10k segment` calls recorded from this function, expanding the -c and
# -e text only when it shows the prompt. So the calls are always the same,
# and the text reads nothing but the environment, where a role exported by
# the parent shell is found; this plugin is not loaded yet at that moment.
# As in the segment, it shows only while the exported key is assume-role's.
# Control characters and % in the label are neutralised as in the segment;
# the time left follows with the first real prompt.
instant_prompt_assume_role() {
  emulate -L zsh
  local name='${AWS_ACCOUNT_NAME:-$AWS_ACCOUNT_ID}'
  p10k segment -s UNKNOWN -f green -r -i AWS_ICON -e \
    -c "\${AWS_ACCOUNT_ROLE:+\${\${(M)AWS_ACCESS_KEY_ID:#\${(b)ASSUME_ROLE_ACCESS_KEY_ID}}:+$name}}" \
    -t "\${\${$name//[[:cntrl:]]/?}//\\%/%%}:\${\${AWS_ACCOUNT_ROLE//[[:cntrl:]]/?}//\\%/%%}"
}

# ---------------------------------------------------------------------------
# The automatic segment goes at the start of RPROMPT, beside whatever a theme
# or another plugin (such as oh-my-zsh's aws plugin) put there. It stays out
# when the user turned it off, places the segment themselves
# (assume_role_prompt_info in PROMPT or RPROMPT), or when the prompt is drawn
# by powerlevel10k or starship, which have their own integration. The
# decision is made again at every prompt, after ~/.zshrc has set up whatever
# theme it wants, so the order in which plugins load does not matter.

# _assume_role_rprompt: the rendered segment (with a space before the rest of
# RPROMPT). _assume_role_rprompt_mark: exactly what was put in front of
# RPROMPT at the last prompt, so it can be taken out again and is never there
# twice, however often this file is sourced.
typeset -g _assume_role_rprompt=${_assume_role_rprompt-} _assume_role_rprompt_mark=${_assume_role_rprompt_mark-}

_assume_role_auto_prompt() {
  emulate -L zsh
  [[ -z ${ASSUME_ROLE_DISABLE_PROMPT-} ]] || return 1
  (( ! ${+functions[p10k]} )) || return 1
  # starship's zsh prompt runs `starship prompt` from PROMPT. An inherited
  # STARSHIP_SHELL says nothing about the prompt of this shell.
  [[ $PROMPT != *starship* ]] || return 1
  [[ $PROMPT$RPROMPT != *assume_role_prompt_info* ]]
}

_assume_role_precmd() {
  # Read before emulate, which would reset them for this function.
  local subst=0 bang=0
  [[ -o prompt_subst ]] && subst=1
  [[ -o prompt_bang ]] && bang=1
  emulate -L zsh
  # The segment escapes ! for the prompt as the user's options expand it.
  (( ! bang )) || setopt prompt_bang
  # Run after the other precmd hooks from the next prompt on, so a theme
  # that rebuilds RPROMPT in its own hook does not wipe the segment out.
  if [[ ${precmd_functions[-1]-} != _assume_role_precmd ]]; then
    precmd_functions=(${precmd_functions:#_assume_role_precmd} _assume_role_precmd)
  fi
  local rest=$RPROMPT
  if [[ -n $_assume_role_rprompt_mark ]]; then
    rest=${rest//"$_assume_role_rprompt_mark"/}
  fi
  local REPLY=''
  _assume_role_auto_prompt && _assume_role_render
  _assume_role_rprompt=$REPLY${REPLY:+${rest:+ }}
  if [[ -z $REPLY ]]; then
    _assume_role_rprompt_mark=''
  elif (( subst )); then
    # With prompt_subst, text from a config file must not sit in RPROMPT,
    # where a $(...) in it would run; RPROMPT names the variable instead.
    _assume_role_rprompt_mark='${_assume_role_rprompt}'
  else
    _assume_role_rprompt_mark=$_assume_role_rprompt
  fi
  RPROMPT=$_assume_role_rprompt_mark$rest
}

# add-zsh-hook appends to precmd_functions, once: other hooks are kept.
() {
  emulate -L zsh
  add-zsh-hook precmd _assume_role_precmd
}

# ---------------------------------------------------------------------------
# Auto-refresh. Before a command runs (preexec), a role inside the renewal
# window (see _assume_role_window) is assumed again from the MFA session,
# without a question, once per role session; the helper says so in one line,
# or, when the MFA session has ended too, says once what to run. While time
# remains this is arithmetic on EPOCHSECONDS only: no process starts.
# ASSUME_ROLE_AUTO_REFRESH=0 turns it off.

_assume_role_refresh() {
  emulate -L zsh
  [[ ${ASSUME_ROLE_AUTO_REFRESH-1} != 0 && -n ${AWS_ACCOUNT_ROLE-} && -n ${EPOCHSECONDS-} ]] || return 0
  # Only while the credentials are the ones assume-role exported: keys
  # another tool put in place since are not replaced behind its back.
  [[ -n ${AWS_ACCESS_KEY_ID-} && $AWS_ACCESS_KEY_ID == "${ASSUME_ROLE_ACCESS_KEY_ID-}" ]] || return 0
  local expires=${ASSUME_ROLE_EXPIRES_AT-}
  [[ $expires == <-> && ${#expires} -le 12 && $expires != ${_assume_role_refresh_tried-} ]] || return 0
  _assume_role_window
  (( 10#$expires - EPOCHSECONDS < _assume_role_before )) || return 0
  # Once per role session whatever the outcome: a failure is said once, not
  # before every command.
  typeset -g _assume_role_refresh_tried=$expires
  local _assume_role_code
  _assume_role_code=$(_assume_role_helper __refresh --shell zsh </dev/null) || return 0
  eval "$_assume_role_code"
}

() {
  emulate -L zsh
  add-zsh-hook preexec _assume_role_refresh
}
