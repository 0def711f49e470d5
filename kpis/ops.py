"""The `statement.send` op handler of `POST /api/sync/push`: read the op, call `statement_send`, answer.

Who may send a client's statement, to whom and by which channel is the service's rule (kpis/services.py); the
handler finds the client as the rep sees it and turns the service's errors into rejections. Registered in
kpis/sync.py.
"""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from clients.selectors import clients_visible_to
from fieldsales.sync.errors import FORBIDDEN, INVALID, Rejected, missing
from fieldsales.sync.registry import Op, Outcome
from kpis.services import statement_send
from kpis.statements import StatementError

NOT_A_CLIENT = _("Enter a client identifier (UUID).")


def handle_statement_send(op: Op) -> Outcome:
    """`statement.send`: queue the statement of a client the rep sees and whose statements are enabled."""
    client_id = op.data.get("client")
    try:
        client = clients_visible_to(op.user).filter(pk=uuid.UUID(str(client_id))).first()
    except ValueError:
        raise Rejected(INVALID, {"client": [NOT_A_CLIENT]}) from None
    if client is None:
        raise missing(op, client_id)
    try:
        statement_send(
            user=op.user,
            client=client,
            channel=str(op.data.get("channel") or ""),
            recipient=str(op.data.get("recipient") or ""),
            language=translation.get_language() or "en",
            delivery_id=op.entity_id,
        )
    except StatementError as error:
        raise Rejected.message(FORBIDDEN, error.message) from None
    except ValidationError as error:
        raise Rejected.from_validation(error) from None
    return Outcome(version=1)
