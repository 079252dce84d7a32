"""The pieces behind ``assume-role demo`` (see ``assume_role.commands.demo``):
the emulator lab, the demo shells, the terminal handling and the walkthrough."""
