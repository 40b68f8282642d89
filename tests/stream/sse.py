"""A small Server-Sent Events reader for the tests: the fields of each block as the EventSource spec reads them."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import aiohttp


@dataclass
class Block:
    """One blank-line-terminated block: its fields (id, event, data, retry) and comment lines."""
    fields: dict[str, str] = field(default_factory=dict)
    comments: list[str] = field(default_factory=list)

    @property
    def event(self) -> str | None:
        return self.fields.get("event")

    @property
    def id(self) -> str | None:
        return self.fields.get("id")

    @property
    def data(self) -> str | None:
        return self.fields.get("data")


async def next_block(response: aiohttp.ClientResponse, timeout: float = 10) -> Block:
    block = Block()
    async with asyncio.timeout(timeout):
        while True:
            line = await response.content.readline()
            if not line:
                raise EOFError("the stream ended")
            text = line.decode().rstrip("\n")
            if text == "":
                if block.fields or block.comments:
                    return block
                continue
            if text.startswith(":"):
                block.comments.append(text[1:].strip())
                continue
            name, _, value = text.partition(":")
            value = value[1:] if value.startswith(" ") else value
            block.fields[name] = value if name != "data" or "data" not in block.fields \
                else block.fields["data"] + "\n" + value


async def next_event(response: aiohttp.ClientResponse, timeout: float = 10) -> Block:
    """The next block that fires an event (has data), skipping comments and id-only blocks."""
    async with asyncio.timeout(timeout):
        while True:
            block = await next_block(response, timeout)
            if block.data is not None:
                return block


async def opening_id(response: aiohttp.ClientResponse) -> str:
    """The id the stream opens with (the position live changes follow)."""
    while True:
        block = await next_block(response)
        if block.id is not None and block.data is None:
            return block.id
