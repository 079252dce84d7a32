# Loads assume-role into fish from this directory, wherever it is (the stable
# link that `assume-role init fish` writes, or a copy): functions and
# completions are autoloaded from here, then conf.d decides about the prompt.
#
#   source ~/.local/share/assume-role/fish/init.fish
#
# `assume-role init fish` prints a line sourcing this file. Plugin managers
# (fisher) copy functions/, completions/ and conf.d/ instead and skip it.

# The path as sourced, not resolved, so that a stable link stays in the paths.
set -l _assume_role_dir (string replace -r '/[^/]*$' '' -- (status filename))
# Appended, so functions in the user's own config still win, as they would
# over a plugin installed with fisher.
contains -- $_assume_role_dir/functions $fish_function_path
or set -g fish_function_path $fish_function_path $_assume_role_dir/functions
contains -- $_assume_role_dir/completions $fish_complete_path
or set -g fish_complete_path $fish_complete_path $_assume_role_dir/completions
source $_assume_role_dir/conf.d/assume-role.fish
