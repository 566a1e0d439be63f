"""`edge-avatar avatar check|preview|build-default`: avatar packs for admins and artists."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub) -> None:
    avatar = sub.add_parser("avatar", help="avatar packs: check, preview, build the default character")
    asub = avatar.add_subparsers(dest="avatar_command", required=True)
    check = asub.add_parser("check", help="validate a pack: every problem as file:line: field: expected")
    check.add_argument("pack", type=Path)
    check.set_defaults(func=_check)
    preview = asub.add_parser("preview", help="render a contact sheet of every expression and viseme")
    preview.add_argument("pack", type=Path, nargs="?", help="default: the bundled character")
    preview.add_argument("--out", type=Path, default=Path("avatar-sheet.png"))
    preview.set_defaults(func=_preview)
    build = asub.add_parser("build-default", help="draw the bundled character as a pack folder")
    build.add_argument("--out", type=Path, required=True)
    build.add_argument("--scale", type=float, default=1.0, help="1.0 = 1080x1920 canvas, 2.0 = 2160x3840")
    build.set_defaults(func=_build)


def _check(args: argparse.Namespace) -> int:
    from runtime.avatar.rig_loader import check_rig
    problems = check_rig(args.pack)
    for problem in problems:
        print(problem)
    print(f"{args.pack}: {'OK' if not problems else f'{len(problems)} problem(s)'}")
    return 1 if problems else 0


def _preview(args: argparse.Namespace) -> int:
    from runtime.display.avatar_view import open_rig
    from runtime.display.contact_sheet import contact_sheet
    out = contact_sheet(open_rig(args.pack, 1280), args.out)
    print(f"contact sheet: {out}")
    return 0


def _build(args: argparse.Namespace) -> int:
    from runtime.avatar.default_character import build_pack
    from runtime.rights.file_labels import FileLabeller
    from runtime.rights.shipped import DEFAULT_CHARACTER, SHIPPED, shipped_ref
    folder = build_pack(args.out, args.scale)
    (folder / "rights.yaml").write_bytes((SHIPPED / f"{DEFAULT_CHARACTER}.yaml").read_bytes())   # Nova's record
    labeller = FileLabeller.from_env().with_assets([shipped_ref(DEFAULT_CHARACTER)])
    for png in sorted(folder.glob("*.png")):
        labeller.label_file(png)
    print(f"default character written to {folder} (with its rights.yaml; edit it if you change the art)")
    return 0
