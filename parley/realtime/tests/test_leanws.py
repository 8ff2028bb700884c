"""The receive queue parley.serve gives uvicorn's WebSocket protocol (parley.realtime.leanws)."""

from __future__ import annotations

import asyncio

from parley.realtime.leanws import LeanQueue


async def test_items_come_out_in_the_order_they_went_in() -> None:
    q = LeanQueue()
    assert q.empty()
    for n in range(5):
        q.put_nowait(n)
    assert q.qsize() == 5
    assert [await q.get() for _ in range(5)] == [0, 1, 2, 3, 4]
    assert q.empty()


async def test_a_waiting_reader_is_woken_by_the_next_put() -> None:
    q = LeanQueue()
    reader = asyncio.ensure_future(q.get())
    await asyncio.sleep(0)
    assert not reader.done()
    q.put_nowait({"type": "websocket.receive", "text": "hi"})
    q.put_nowait({"type": "websocket.disconnect", "code": 1000})
    assert await asyncio.wait_for(reader, 1) == {"type": "websocket.receive", "text": "hi"}
    assert await asyncio.wait_for(q.get(), 1) == {"type": "websocket.disconnect", "code": 1000}


async def test_a_cancelled_read_loses_nothing() -> None:
    q = LeanQueue()
    reader = asyncio.ensure_future(q.get())
    await asyncio.sleep(0)
    reader.cancel()
    await asyncio.gather(reader, return_exceptions=True)
    q.put_nowait("kept")
    assert await asyncio.wait_for(q.get(), 1) == "kept"
