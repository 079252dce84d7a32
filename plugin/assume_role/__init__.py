"""assume-role: assume AWS IAM roles through a bastion account with MFA."""

__version__ = "0.1.0"
