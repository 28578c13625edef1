"""A tiny HTML reader for tests: find elements by id, tag and attributes; read their text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class Node:
    """An element (or the document root) with its attributes and children."""

    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Node | None = None) -> None:
        self.tag = tag
        self.attrs = attrs
        self.parent = parent
        self.children: list[Node | str] = []

    def __repr__(self) -> str:
        return f"<{self.tag} {self.attrs}>"

    def get(self, name: str) -> str | None:
        """An attribute's value."""
        return self.attrs.get(name)

    @property
    def text(self) -> str:
        """The text inside, with runs of whitespace collapsed, as a reader sees it."""
        parts: list[str] = []
        for child in self.children:
            parts.append(child if isinstance(child, str) else f" {child.text} ")
        return re.sub(r"\s+", " ", "".join(parts)).strip()

    def iter(self) -> Iterator[Node]:
        """Every element below, in document order."""
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.iter()

    def find_all(self, tag: str | None = None, **attrs: str | bool) -> list[Node]:
        """Elements matching a tag and attributes (``class_`` matches one class name;
        ``True`` means the attribute is present)."""
        found = []
        for node in self.iter():
            if tag is not None and node.tag != tag:
                continue
            if all(_matches(node, name, value) for name, value in attrs.items()):
                found.append(node)
        return found

    def find(self, tag: str | None = None, **attrs: str | bool) -> Node | None:
        """The first element matching, or None."""
        matches = self.find_all(tag, **attrs)
        return matches[0] if matches else None

    def by_id(self, element_id: str) -> Node:
        """The element with this id; fails the test if there is none."""
        node = self.find(id=element_id)
        assert node is not None, f"no element with id {element_id!r}"
        return node


def _matches(node: Node, name: str, value: str | bool) -> bool:
    if name == "class_":
        return str(value) in (node.get("class") or "").split()
    # for_ means "for"; aria_invalid means "aria-invalid".
    name = name[:-1] if name.endswith("_") else name.replace("_", "-")
    if value is True:
        return name in node.attrs
    return node.attrs.get(name) == value


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs), self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.current.children.append(Node(tag, dict(attrs), self.current))

    def handle_endtag(self, tag: str) -> None:
        node: Node | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def parse(html: str) -> Node:
    """Read an HTML document or fragment."""
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root
