"""The credential server: role credentials for SDKs over the container credentials protocol.

Exported keys are a snapshot, so a command that runs longer than the role's
session fails half-way. The AWS SDKs and the AWS CLI can instead ask a local
endpoint for credentials whenever theirs are about to end: they read
``AWS_CONTAINER_CREDENTIALS_FULL_URI`` and send
``AWS_CONTAINER_AUTHORIZATION_TOKEN`` as the ``Authorization`` header. One
such server per user (``server``) holds each role once, renews it before it
ends, and answers each command or shell that uses it (a *binding*, named in
the URI's path) with the role that binding holds now.

``client`` finds the running server (its state is a private file in the
state directory) or starts one, and talks to it. How a role is renewed is the
caller's to say: this package imports nothing of the sign-in or the commands.
"""
