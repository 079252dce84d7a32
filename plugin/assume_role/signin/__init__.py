"""Sign-in sources: every way this tool gets role credentials, behind one contract.

``commands.assume.obtain`` resolves the whole request, asks the store, and
only on a miss asks the run's ``SignIn`` for new credentials. The commands
never know which source they hold: ``choose`` picks it from the settings, and
a new way to sign in is one module with a ``SignIn`` subclass plus one line
in ``choose``.

This module imports nothing heavy: a cache hit builds a source too.
"""

from __future__ import annotations

from assume_role.signin.source import ON_TERMINAL, Asking, SignIn, Standing

__all__ = ["ON_TERMINAL", "Asking", "SignIn", "Standing", "choose"]


def choose(mfa_token: str | None = None, asking: Asking = ON_TERMINAL, *, arguments=None) -> SignIn:
    """The run's source, from the settings: SAML when AWS_ASSUME_ROLE_AUTH_SCHEME
    says so, IAM Identity Center when the bastion profile is an SSO profile,
    else the bastion profile's IAM user with MFA. Its settings are checked
    here, before anything is asked or sent.

    ``arguments``: the main command's, which SAML and IAM Identity Center
    read as ACCOUNT ROLE [REGION] (the third word is then the region, as in
    the original tool's SAML).
    """
    from assume_role import settings

    if settings.auth_scheme() == "saml":
        from assume_role.errors import UsageError
        from assume_role.signin import saml

        provider = saml.configured(arguments)
        if mfa_token and arguments is None:
            raise UsageError(f"with {settings.AUTH_SCHEME}=saml no MFA code is used")
        return saml.SamlSignIn(provider, asking)
    from assume_role.signin import sso

    # The bastion profile signs in through IAM Identity Center (sso_session or sso_start_url).
    source = sso.configured(settings.bastion_profile(), asking, setting=not settings.bastion_profile_named())
    if source is not None:
        sso.no_mfa_code(arguments, mfa_token)
        return source
    from assume_role.signin.bastion import BastionMfa

    return BastionMfa(settings.bastion_profile(), mfa_token, asking)
