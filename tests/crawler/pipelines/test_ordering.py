"""FetchOrder lets items on in the order they entered, whatever order they arrive in."""

from __future__ import annotations

import asyncio

from crawler.pipelines.ordering import FetchOrder


def test_items_pass_in_entry_order_and_a_dropped_item_does_not_block() -> None:
    order = FetchOrder()
    a, b, c, d = (object() for _ in range(4))
    passed: list[object] = []

    async def reach(item: object, delay: float) -> None:
        await asyncio.sleep(delay)
        await order.turn(item)
        passed.append(item)
        order.leave(item)  # stored

    async def main() -> None:
        for it in (a, b, c, d):
            order.enter(it)
        # c and d finish their earlier stages first; a slowest; b is dropped before the turn.
        tasks = [asyncio.create_task(reach(it, t)) for it, t in ((a, 0.05), (c, 0.0), (d, 0.01))]
        await asyncio.sleep(0.02)
        assert passed == []  # c and d wait for a (and b)
        order.leave(b)
        await asyncio.gather(*tasks)

    asyncio.run(main())
    assert passed == [a, c, d]
    assert len(order) == 0


def test_waiting_is_bounded() -> None:
    order = FetchOrder(max_wait=0.05)
    stuck, later = object(), object()
    order.enter(stuck)
    order.enter(later)
    asyncio.run(order.turn(later))  # returns after max_wait although ``stuck`` never left
