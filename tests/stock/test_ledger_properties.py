"""A stateful property test: random sequences of stock operations keep the ledger's invariants."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, rule, run_state_machine_as_test
from sqlalchemy import delete

from app.db import utcnow
from app.errors import DomainError
from app.extensions import db
from app.idempotency.models import IdempotencyRecord
from app.stock import reservations, services
from app.stock.models import StockLevel, StockMovement, StockReservation
from tests.stock.test_ledger import ledger_agrees

both = pytest.mark.parametrize("app", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)

LOCATIONS = 2


@both
def test_ledger_invariants_hold_for_any_sequence(app, make_product, make_location, clerk_headers):
    product = make_product()
    locations = [make_location() for _ in range(LOCATIONS)]
    client = app.test_client()

    class Ledger(RuleBasedStateMachine):
        holds = Bundle("holds")

        def __init__(self):
            super().__init__()
            for model in (StockMovement, StockReservation, StockLevel, IdempotencyRecord):
                db.session.execute(delete(model))
            db.session.commit()
            self.on_hand = [0] * LOCATIONS
            self.reserved = [0] * LOCATIONS
            self.sent: dict[str, dict] = {}

        def _try(self, action) -> bool:
            try:
                action()
                db.session.commit()
                return True
            except DomainError as error:
                db.session.rollback()
                assert error.status in (409, 422), error
                return False

        def _available(self, i):
            return self.on_hand[i] - self.reserved[i]

        @rule(i=st.integers(0, LOCATIONS - 1), n=st.integers(1, 5))
        def receive(self, i, n):
            assert self._try(lambda: services.record_movement(product, locations[i], "receive", n))
            self.on_hand[i] += n

        @rule(i=st.integers(0, LOCATIONS - 1), n=st.integers(1, 5))
        def sell(self, i, n):
            ok = self._try(lambda: services.record_movement(product, locations[i], "sale", -n))
            assert ok == (n <= self._available(i))
            if ok:
                self.on_hand[i] -= n

        @rule(i=st.integers(0, LOCATIONS - 1), n=st.integers(1, 3))
        def give_back(self, i, n):
            assert self._try(lambda: services.record_movement(product, locations[i], "return", n))
            self.on_hand[i] += n

        @rule(a=st.integers(0, LOCATIONS - 1), b=st.integers(0, LOCATIONS - 1), n=st.integers(1, 5))
        def transfer(self, a, b, n):
            ok = self._try(lambda: services.transfer(product, locations[a], locations[b], n))
            assert ok == (a != b and n <= self._available(a))
            if ok:
                self.on_hand[a] -= n
                self.on_hand[b] += n

        @rule(target=holds, i=st.integers(0, LOCATIONS - 1), n=st.integers(1, 4))
        def hold(self, i, n):
            made = []
            ok = self._try(lambda: made.append(reservations.hold(product, locations[i], n)))
            assert ok == (n <= self._available(i))
            if not ok:
                return None
            self.reserved[i] += n
            return (made[0].id, i, n)

        def _end(self, hold, action):
            if hold is None:
                return
            reservation_id, i, n = hold
            assert self._try(lambda: action(reservations.get(reservation_id)))
            self.reserved[i] -= n
            return i, n

        @rule(hold=consumes(holds))
        def release(self, hold):
            self._end(hold, reservations.release)

        @rule(hold=consumes(holds))
        def sell_hold(self, hold):
            ended = self._end(hold, reservations.sell)
            if ended:
                self.on_hand[ended[0]] -= ended[1]

        @rule(hold=consumes(holds))
        def expire(self, hold):
            if hold is None:
                return
            reservation = reservations.get(hold[0])
            reservation.expires_at = utcnow() - timedelta(seconds=1)
            db.session.commit()
            assert reservations.expire_due() == 1
            db.session.commit()
            self.reserved[hold[1]] -= hold[2]

        @rule(key=st.sampled_from(["k1", "k2", "k3"]), i=st.integers(0, LOCATIONS - 1), n=st.integers(1, 3))
        def replayable_receive(self, key, i, n):
            """The same key sent again: the first answer comes back and nothing more is added."""
            body = {"sku": product.sku, "location": locations[i].code, "reason": "receive", "delta": n}
            response = client.post(
                "/api/v1/stock/movements", json=body, headers={**clerk_headers, "Idempotency-Key": key}
            )
            if key not in self.sent:
                assert response.status_code == 201
                self.sent[key] = body
                self.on_hand[i] += n
            elif self.sent[key] == body:
                assert response.status_code == 201 and response.headers["Idempotent-Replayed"] == "true"
            else:
                assert response.status_code == 422

        @invariant()
        def levels_match_the_model_and_the_ledger(self):
            for i, location in enumerate(locations):
                level = services.level_of(product, location)
                assert (level.on_hand, level.reserved) == (self.on_hand[i], self.reserved[i])
                assert level.available >= 0
            ledger_agrees(db)

    run_state_machine_as_test(
        Ledger,
        settings=settings(
            max_examples=40,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
