"""One module per subcommand, each with ``main(argv) -> int`` (the main
command's ``assume.main`` takes parsed arguments). ``assume_role.cli`` imports
a module only when its subcommand runs, so each stays as cheap as it can be."""
