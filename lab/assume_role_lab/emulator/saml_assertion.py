"""Reading a SAML response the way STS does for AssumeRoleWithSAML.

moto's AssumeRoleWithSAML trusts any assertion and never looks at the
provider. STS checks that the provider exists, that the assertion comes from
it (its Issuer is the provider's entity id) and is still valid, and that it
offers the requested role paired with that provider. This module extracts
what those checks need. XML signatures are not verified: the strict layer
stands for the rules a client can get wrong, and a client never signs.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime, timezone
from xml.etree import ElementTree

PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"
ASSERTION = "urn:oasis:names:tc:SAML:2.0:assertion"
METADATA = "urn:oasis:names:tc:SAML:2.0:metadata"
ROLE_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/Role"
SESSION_NAME_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
AWS_RECIPIENT = "https://signin.aws.amazon.com/saml"
_NS = {"samlp": PROTOCOL, "saml": ASSERTION, "md": METADATA}


@dataclass(frozen=True)
class Assertion:
    issuer: str
    recipient: str  # what IAM calls SAML:aud
    not_on_or_after: datetime | None
    roles: frozenset[tuple[str, str]]  # (role ARN, provider ARN) pairs offered
    session_name: str | None

    def expired(self, now: datetime | None = None) -> bool:
        return self.not_on_or_after is not None and (now or datetime.now(timezone.utc)) >= self.not_on_or_after


def parse(encoded: str) -> Assertion:
    """The assertion in a base64 SAML response; ValueError when it is not one."""
    try:
        document = base64.b64decode(encoded, validate=True)
        root = ElementTree.fromstring(document)
    except (binascii.Error, ValueError, ElementTree.ParseError) as error:
        raise ValueError("not a base64 SAML response") from error
    assertion = root.find("saml:Assertion", _NS)
    if root.tag != f"{{{PROTOCOL}}}Response" or assertion is None:
        raise ValueError("no Response with an Assertion")
    issuer = (assertion.findtext("saml:Issuer", namespaces=_NS) or root.findtext("saml:Issuer", namespaces=_NS) or "")
    confirmation = assertion.find(".//saml:SubjectConfirmationData", _NS)
    conditions = assertion.find("saml:Conditions", _NS)
    recipient = confirmation.get("Recipient", "") if confirmation is not None else ""
    limit = _instant(confirmation.get("NotOnOrAfter") if confirmation is not None else None)
    limit = min(filter(None, [limit, _instant(conditions.get("NotOnOrAfter") if conditions is not None else None)]),
                default=None)
    attributes = {
        attribute.get("Name"): [value.text or "" for value in attribute.findall("saml:AttributeValue", _NS)]
        for attribute in assertion.findall("saml:AttributeStatement/saml:Attribute", _NS)
    }
    roles = set()
    for value in attributes.get(ROLE_ATTRIBUTE, []):
        parts = [part.strip() for part in value.split(",")]
        if len(parts) == 2:
            role = next((p for p in parts if ":role/" in p), None)
            provider = next((p for p in parts if ":saml-provider/" in p), None)
            if role and provider:
                roles.add((role, provider))
    names = attributes.get(SESSION_NAME_ATTRIBUTE) or [None]
    return Assertion(issuer.strip(), recipient, limit, frozenset(roles), names[0])


def entity_id(metadata: str) -> str | None:
    """The entityID of a provider's metadata document."""
    try:
        root = ElementTree.fromstring(metadata)
    except ElementTree.ParseError:
        return None
    return root.get("entityID") if root.tag == f"{{{METADATA}}}EntityDescriptor" else None


def metadata_document(entity: str) -> str:
    """IdP metadata as IAM's CreateSAMLProvider takes it (at least 1,000 characters)."""
    formats = "".join(
        f"<md:NameIDFormat>urn:oasis:names:tc:SAML:{version}:nameid-format:{name}</md:NameIDFormat>"
        for version, name in (("2.0", "persistent"), ("2.0", "transient"), ("1.1", "emailAddress"),
                              ("1.1", "unspecified"))
    )
    services = "".join(
        f'<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:{binding}" '
        f'Location="{entity}/sso/{path}"/>'
        for binding, path in (("HTTP-POST", "post"), ("HTTP-Redirect", "redirect"))
    )
    return (
        f'<md:EntityDescriptor xmlns:md="{METADATA}" entityID="{entity}">'
        f'<md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="{PROTOCOL}">'
        f"{formats}{services}</md:IDPSSODescriptor>"
        "<md:Organization><md:OrganizationName xml:lang=\"en\">assume-role test identity provider"
        "</md:OrganizationName><md:OrganizationDisplayName xml:lang=\"en\">Test IdP</md:OrganizationDisplayName>"
        f'<md:OrganizationURL xml:lang="en">{entity}</md:OrganizationURL></md:Organization>'
        '<md:ContactPerson contactType="technical"><md:EmailAddress>mailto:idp@example.com</md:EmailAddress>'
        "</md:ContactPerson></md:EntityDescriptor>"
    )


def _instant(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
