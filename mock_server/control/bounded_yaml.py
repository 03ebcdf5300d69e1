"""YAML for documents from the network: the safe loader, with aliases bounded by what they expand to.

``yaml.safe_load`` shares an aliased node rather than copying it, so a 500-byte "billion laughs"
document loads quickly into a graph that is exponential when walked (validated, copied, written
as JSON): 3.9 s and 300 MB for 526 bytes. ``BoundedLoader`` counts, while composing, the nodes
each node stands for once its aliases are expanded, and refuses a document that stands for more
than ``MAX_NODES`` nodes or uses more than ``MAX_ALIASES`` aliases, before anything is built.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import CollectionNode, MappingNode, Node

#: Aliases a document may use; a model library needs none.
MAX_ALIASES = 100
#: Nodes a document may stand for with its aliases expanded (a large model library has a few thousand).
MAX_NODES = 100_000


class BoundedLoader(yaml.SafeLoader):
    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._aliases = 0
        self._weights: dict[int, int] = {}

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise yaml.composer.ComposerError(None, None, f"more than {MAX_ALIASES} aliases")
        node: Node | None = super().compose_node(parent, index)
        if isinstance(node, CollectionNode) and id(node) not in self._weights:
            self._weigh(node)
        return node

    def _weigh(self, node: CollectionNode) -> None:
        children = [part for pair in node.value for part in pair] if isinstance(node, MappingNode) else node.value
        weight = 1 + sum(self._weights.get(id(child), 1) for child in children)
        if weight > MAX_NODES:
            raise yaml.composer.ComposerError(
                None,
                None,
                f"the document stands for more than {MAX_NODES} values once its aliases are expanded",
                node.start_mark,
            )
        self._weights[id(node)] = weight


def load(text: bytes | str) -> Any:
    """The document in ``text`` (one, as ``yaml.safe_load``); ``yaml.YAMLError`` if it is not one or too big."""
    loader = BoundedLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
