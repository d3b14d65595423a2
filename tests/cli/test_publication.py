"""Signed checkpoints, inclusion and consistency proofs from the command line (issue 13).

What the tool writes is read back by tests/c2sp_reference.py, a reader written from the
C2SP specifications that does not import the project's code.
"""

from __future__ import annotations

import base64
import json
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from outcomes.cli import main
from tests import c2sp_reference as reference
from tests.audit_support import base_events, build, ev
from tests.conftest import Outcomes

NAME = "example.org/numergy-ledger"


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def keygen(tmp_path: Path, name: str = NAME) -> tuple[Path, str]:
    keyfile = tmp_path / "ledger.key"
    result = run("keygen", name, "-o", str(keyfile))
    assert result.exit_code == 0, result.output
    return keyfile, result.stdout.strip()


def sign(db: Path | Outcomes, keyfile: Path, out: Path, *extra: str) -> str:
    runner = db if isinstance(db, Outcomes) else Outcomes(db)
    result = runner("checkpoint", "--sign", str(keyfile), *extra)
    assert result.exit_code == 0, result.output
    out.write_text(result.stdout, encoding="utf-8")
    return result.stdout


def flip(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


def bad_signature(text: str) -> str:
    """The note with one base64 digit of its Ed25519 signature changed (key ID kept)."""
    sig = text.rstrip("\n").split(" ")[-1]
    return flip(text, sig, sig[:12] + ("B" if sig[12] == "A" else "A") + sig[13:])


def failed(result, command: str = "verify") -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"outcomes: {command} failed: ")
    return lines[0]


# -- keys -----------------------------------------------------------------------------


def test_keygen_writes_a_private_signer_key_and_prints_only_the_verifier_key(
        tmp_path: Path) -> None:
    keyfile, vkey = keygen(tmp_path)
    secret = keyfile.read_text()
    assert stat.S_IMODE(keyfile.stat().st_mode) == 0o600
    assert secret.startswith(f"PRIVATE+KEY+{NAME}+") and secret.endswith("\n")
    name, key_id, public = reference.vkey(vkey)  # the specification's form and key ID
    assert name == NAME and vkey.startswith(f"{NAME}+{key_id.hex()}+")
    assert secret.split("+")[3] == key_id.hex()
    seed = base64.b64decode(secret.strip().split("+", 4)[4])
    assert seed[0] == 0x01 and len(seed) == 33
    # Never the private key on the screen; never overwritten.
    result = run("keygen", NAME, "-o", str(keyfile))
    assert result.exit_code == 2 and "already exists" in result.stderr
    assert keyfile.read_text() == secret
    assert seed[1:].hex() not in result.output and secret.strip() not in result.output


def test_keygen_default_file_and_bad_names(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("keygen", "example.org/ledger")
    assert result.exit_code == 0
    assert "written to example.org-ledger.key" in result.stderr
    assert stat.S_IMODE((tmp_path / "example.org-ledger.key").stat().st_mode) == 0o600
    for bad in ("two words", "a+b", ""):
        result = run("keygen", bad, "-o", str(tmp_path / "x.key"))
        assert result.exit_code == 2 and "NAME:" in result.stderr
    assert not (tmp_path / "x.key").exists()


def test_a_key_file_others_can_read_is_refused_saying_what_to_do(tmp_path: Path) -> None:
    ledger = build(tmp_path / "ledger.db")
    keyfile, _ = keygen(tmp_path)
    secret = keyfile.read_text().strip()
    os.chmod(keyfile, 0o640)
    result = run("--db", str(ledger), "checkpoint", "--sign", str(keyfile))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == (f"outcomes: error: KEYFILE: {keyfile} is open to other users "
                             f"(mode 640): a signer key must be private; run `chmod 600 "
                             f"{keyfile}` (and make a new key if others may have read it)\n")
    os.chmod(keyfile, 0o600)
    assert run("--db", str(ledger), "checkpoint", "--sign", str(keyfile)).exit_code == 0
    # A damaged key file: one line, the key never quoted.
    keyfile.write_text(secret[:-3] + "!!!\n")
    result = run("--db", str(ledger), "checkpoint", "--sign", str(keyfile))
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1
    assert secret[-40:-3] not in result.output and "KEYFILE:" in result.stderr
    # A signer key passed where the verifier key goes is refused without being printed.
    result = run("verify-proof", str(keyfile), "--key", secret)
    assert result.exit_code == 2 and "signer (private) key" in result.stderr
    assert secret not in result.output and secret[-20:] not in result.output


# -- signed checkpoints ---------------------------------------------------------------


def test_a_signed_checkpoint_is_a_c2sp_note_that_an_independent_reader_accepts(
        tmp_path: Path) -> None:
    ledger = build(tmp_path / "ledger.db")
    keyfile, vkey = keygen(tmp_path)
    size, root = run("--db", str(ledger), "checkpoint").stdout.strip().split(":")
    note = sign(ledger, keyfile, tmp_path / "c.txt")
    body = reference.open_note(note.encode(), vkey)
    assert body == f"{NAME}\n12\n{base64.b64encode(bytes.fromhex(root)).decode()}\n"
    assert reference.checkpoint(body) == (NAME, int(size), bytes.fromhex(root))
    assert note.startswith(body + "\n\u2014 " + NAME + " ")
    other = sign(ledger, keyfile, tmp_path / "o.txt", "--origin", "example.org/other")
    assert reference.open_note(other.encode(), vkey).startswith("example.org/other\n12\n")
    assert run("--db", str(ledger), "checkpoint").stdout == f"{size}:{root}\n"  # unchanged
    result = run("--db", str(ledger), "checkpoint", "--origin", "x")
    assert result.exit_code == 2 and "--origin: only with --sign" in result.stderr


def test_verify_checks_the_signature_then_that_the_ledger_extends_the_checkpoint(
        tmp_path: Path) -> None:
    ledger = build(tmp_path / "ledger.db", base_events()[:8])
    keyfile, vkey = keygen(tmp_path)
    note = sign(ledger, keyfile, tmp_path / "c.txt")
    assert run("--db", str(ledger), "verify", "--checkpoint", str(tmp_path / "c.txt"),
               "--key", vkey).exit_code == 0
    rest = Outcomes(ledger)("import", "-", input="\n".join(json.dumps(e) for e in
                                                           base_events()[8:]))
    assert rest.exit_code == 0
    vkey_file = tmp_path / "ledger.vkey"
    vkey_file.write_text(vkey + "\n")
    assert run("--db", str(ledger), "verify", "--checkpoint", str(tmp_path / "c.txt"),
               "--key", str(vkey_file)).exit_code == 0
    # Another ledger, same key: signed, but the ledger does not extend it.
    other = build(tmp_path / "other.db", base_events()[:3] + base_events()[4:9])
    line = failed(run("--db", str(other), "verify", "--checkpoint", str(tmp_path / "c.txt"),
                      "--key", vkey))
    assert "does not extend checkpoint 8:" in line
    # Altered checkpoints and another key: the signature fails first.
    other_key = run("keygen", NAME, "-o", str(tmp_path / "k2.key")).stdout.strip()
    cases = {
        "signature": bad_signature(note),
        "size": flip(note, "\n8\n", "\n7\n"),
        "root": note.replace(note.split("\n")[2], "A" + note.split("\n")[2][1:]),
    }
    for what, text in cases.items():
        (tmp_path / "bad.txt").write_text(text)
        line = failed(run("--db", str(ledger), "verify", "--checkpoint",
                          str(tmp_path / "bad.txt"), "--key", vkey))
        assert f"{tmp_path / 'bad.txt'}: " in line, what
    line = failed(run("--db", str(ledger), "verify", "--checkpoint", str(tmp_path / "c.txt"),
                      "--key", other_key))
    assert "no signature by the key" in line
    result = run("--db", str(ledger), "verify", "--checkpoint", str(tmp_path / "c.txt"))
    assert result.exit_code == 2 and "add --key VERIFIER_KEY" in result.stderr
    result = run("--db", str(ledger), "verify", "--checkpoint", str(tmp_path / "c.txt"),
                 "--key", "nonsense")
    assert result.exit_code == 2 and "--key:" in result.stderr


def test_round_trip_archive_restore_and_the_original_signed_checkpoint(
        outcomes: Outcomes, new_store: Callable[[], str], tmp_path: Path) -> None:
    """The acceptance round trip, on SQLite and on PostgreSQL."""
    assert outcomes("import", "-", input="\n".join(json.dumps(e) for e in base_events())
                    ).exit_code == 0
    keyfile, vkey = keygen(tmp_path)
    signed = tmp_path / "checkpoint.txt"
    sign(outcomes, keyfile, signed)
    archive = tmp_path / "ledger.archive.jsonl"
    assert outcomes("export", "--archive", "-o", str(archive)).exit_code == 0
    copy = Outcomes(new_store())
    assert copy("restore", str(archive)).exit_code == 0
    for check in (copy("verify", "--checkpoint", str(signed), "--key", vkey),
                  run("verify", "--archive", str(archive), "--checkpoint", str(signed),
                      "--key", vkey)):
        assert check.exit_code == 0, check.output
    # One byte of the archive altered: the check fails, in one line.
    archive.write_bytes(archive.read_bytes().replace(b'"amount":"25000000"',
                                                     b'"amount":"25000009"', 1))
    failed(run("verify", "--archive", str(archive), "--checkpoint", str(signed), "--key", vkey))
    # The copy proves events like the original.
    proof = copy("prove", "grant-1", "--checkpoint", str(signed))
    assert proof.exit_code == 0, proof.output
    assert reference.tlog_proof(proof.stdout_bytes, vkey)["id"] == "grant-1"


# -- inclusion proofs -----------------------------------------------------------------


@pytest.fixture
def published(tmp_path: Path) -> tuple[Path, Path, str]:
    """A ledger, its signed checkpoint (file) and verifier key."""
    ledger = build(tmp_path / "ledger.db")
    keyfile, vkey = keygen(tmp_path)
    sign(ledger, keyfile, tmp_path / "checkpoint.txt")
    return ledger, tmp_path / "checkpoint.txt", vkey


def test_prove_writes_a_tlog_proof_that_verify_proof_and_an_independent_reader_accept(
        published: tuple[Path, Path, str], tmp_path: Path) -> None:
    ledger, signed, vkey = published
    proof = tmp_path / "grant.tlog-proof"
    result = run("--db", str(ledger), "prove", "grant-2", "--checkpoint", str(signed),
                 "-o", str(proof))
    assert result.exit_code == 0, result.output
    text = proof.read_text()
    lines = text.split("\n")
    assert lines[0] == "c2sp.org/tlog-proof@v1" and lines[1].startswith("extra ")
    assert lines[2] == "index 5"  # grant-2 is at position 6
    assert text.endswith("\n\n" + signed.read_text())
    assert len(text.encode()) < 1500
    logged = json.loads(run("--db", str(ledger), "log", "-O", "json").stdout)[5]
    event = reference.tlog_proof(proof.read_bytes(), vkey)
    assert event == logged
    result = run("verify-proof", str(proof), "--key", vkey)
    assert result.exit_code == 0
    assert json.loads(result.stdout) == logged
    assert result.stderr == (f"proof holds: grant-2 is event 6 of the 12 in the log {NAME}, "
                             f"signed by {NAME}\n")
    assert run("verify-proof", "-", "--key", vkey, input=text).exit_code == 0


def test_any_alteration_of_a_proof_fails_naming_what(
        published: tuple[Path, Path, str], tmp_path: Path) -> None:
    ledger, signed, vkey = published
    text = run("--db", str(ledger), "prove", "rev-2013", "--checkpoint", str(signed)).stdout
    lines = text.split("\n")
    leaf = base64.b64decode(lines[1][6:])
    more = leaf.replace(b'"revenue":"2500000"', b'"revenue":"25000000"')
    assert more != leaf
    cases = {
        "event": flip(text, lines[1], "extra " + base64.b64encode(more).decode()),
        "hash": flip(text, lines[3], base64.b64encode(
            bytes([base64.b64decode(lines[3])[0] ^ 1]) + base64.b64decode(lines[3])[1:]
        ).decode()),
        "index": flip(text, "index 6", "index 7"),
        "signature": bad_signature(text),
        "root": flip(text, "\n12\n", "\n13\n"),
        "form": flip(text, "c2sp.org/tlog-proof@v1", "c2sp.org/tlog-proof@v2"),
    }
    expected = {"event": "does not lead from the event at position 7",
                "hash": "does not lead from the event at position 7",
                "index": "does not lead from the event at position 8",
                "signature": "does not verify", "root": "does not verify",
                "form": "not a tlog-proof"}
    for what, altered in cases.items():
        (tmp_path / "p").write_text(altered)
        line = failed(run("verify-proof", str(tmp_path / "p"), "--key", vkey), "verify-proof")
        assert expected[what] in line, (what, line)
        with pytest.raises(Exception):  # noqa: B017 - the independent reader rejects it too
            reference.tlog_proof(altered.encode(), vkey)


def test_prove_refuses_what_it_cannot_prove(published: tuple[Path, Path, str],
                                            tmp_path: Path) -> None:
    ledger, signed, vkey = published
    cases = [
        (["prove", "nope", "--checkpoint", str(signed)], "EVENT_ID: no event 'nope'"),
        (["prove", "grant-1"], "give EVENT_ID and --checkpoint SIGNED_FILE"),
        (["prove", "grant-1", "--checkpoint", str(tmp_path / "none")], "no such file"),
        (["prove", "grant-1", "--consistency", "3"], "not both"),
    ]
    other = build(tmp_path / "other.db", base_events()[:3] + base_events()[4:] + [ev(
        "StakeValued", "2016-12-31", id="value-2016", venture="numergy", value="0")])
    cases.append((["--db", str(other), "prove", "grant-1", "--checkpoint", str(signed)],
                  "its root is not this ledger's root at size 12"))
    short = build(tmp_path / "short.db", base_events()[:5])
    cases.append((["--db", str(short), "prove", "grant-1", "--checkpoint", str(signed)],
                  "its size 12 is larger than this ledger (5 events)"))
    for args, message in cases:
        full = args if args[0] == "--db" else ["--db", str(ledger), *args]
        result = run(*full)
        assert result.exit_code == 2 and message in result.stderr, (args, result.output)
        assert len(result.stderr.splitlines()) == 1
    # An event recorded after the checkpoint needs a newer checkpoint.
    assert Outcomes(ledger)("import", "-", input=json.dumps(ev(
        "StakeValued", "2016-12-31", id="value-2016", venture="numergy", value="0"))
    ).exit_code == 0
    result = run("--db", str(ledger), "prove", "value-2016", "--checkpoint", str(signed))
    assert result.exit_code == 2
    assert "recorded at position 13, after the checkpoint (size 12)" in result.stderr


# -- consistency proofs ---------------------------------------------------------------


def test_two_signed_checkpoints_and_a_consistency_proof_need_no_store(
        tmp_path: Path) -> None:
    ledger = build(tmp_path / "ledger.db", base_events()[:5])
    keyfile, vkey = keygen(tmp_path)
    old, new = tmp_path / "old.txt", tmp_path / "new.txt"
    sign(ledger, keyfile, old)
    assert Outcomes(ledger)("import", "-", input="\n".join(
        json.dumps(e) for e in base_events()[5:])).exit_code == 0
    sign(ledger, keyfile, new)
    assert Outcomes(ledger)("import", "-", input=json.dumps(ev(
        "StakeValued", "2016-12-31", id="value-2016", venture="numergy", value="0"))
    ).exit_code == 0
    result = run("--db", str(ledger), "prove", "--consistency", "5", "--checkpoint", str(new))
    assert result.exit_code == 0
    proof = tmp_path / "5-12.proof"
    proof.write_text(result.stdout)
    hashes = result.stdout.splitlines()
    # RFC 9162 PROOF(5, D[12]) by hand: leaves 4 and 5, then D[6:8], D[0:4], D[8:12].
    assert len(hashes) == 5 and all(len(base64.b64decode(h)) == 32 for h in hashes)
    # Without --checkpoint, the proof goes to the ledger's current size (13).
    assert run("--db", str(ledger), "prove", "--consistency", "5").stdout != result.stdout
    ledger.unlink()  # the reader has no store
    result = run("verify-consistency", str(old), str(new), str(proof), "--key", vkey)
    assert result.exit_code == 0 and result.stderr == ""
    assert result.stdout == f"the log {NAME} of size 12 extends the one of size 5\n"
    cases = {
        "swapped": [str(new), str(old), str(proof)],
        "altered hash": [str(old), str(new), "-"],
    }
    first = base64.b64decode(hashes[0])
    altered = "\n".join([base64.b64encode(bytes([first[0] ^ 1]) + first[1:]).decode(),
                         *hashes[1:]]) + "\n"
    for what, args in cases.items():
        line = failed(run("verify-consistency", *args, "--key", vkey, input=altered),
                      "verify-consistency")
        assert "does not show that the log" in line, what
    (tmp_path / "forged.txt").write_text(flip(new.read_text(), "\n12\n", "\n11\n"))
    line = failed(run("verify-consistency", str(old), str(tmp_path / "forged.txt"), str(proof),
                      "--key", vkey), "verify-consistency")
    assert "NEW_CHECKPOINT: the signature by" in line


# -- the demo -----------------------------------------------------------------------------


def test_demo_signs_its_checkpoint_and_proves_cloudwatts_public_money(
        tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("demo", "--db", "cloud.db")
    assert result.exit_code == 0, result.output
    out = result.stdout
    words = " ".join(out.split())  # (the prose is wrapped to the terminal's width)
    vkey = words.split("whose verifier key is ")[1].split("):")[0]
    reference.vkey(vkey)
    assert vkey.startswith("demo.outcomes.example/cloud-souverain+")
    note = Path("cloud.checkpoint.txt").read_text()
    assert "\n".join("  " + line for line in note.splitlines()) in out
    assert reference.checkpoint(reference.open_note(note.encode(), vkey))[1] == 56
    event = reference.tlog_proof(Path("cloud-cloudwatt.tlog-proof").read_bytes(), vkey)
    assert (event["id"], event["venture"], event["amount"], event["public"]) == (
        "cloudwatt-granted-cdc-2012-2014", "cloudwatt", "33300000", True)
    assert "Cloudwatt's public money paid (33,300,000 EUR, event " \
           "cloudwatt-granted-cdc-2012-2014, position 25)" in words
    # The commands it prints work as printed.
    commands = [line.strip().split(" ")[1:] for line in out.splitlines()
                if line.startswith("  outcomes ")][:2]
    assert commands[0][:3] == ["--db", "cloud.db", "verify"]
    assert commands[1][0] == "verify-proof"
    for command in commands:
        assert run(*command).exit_code == 0, command
    # The signer key stayed in the temporary folder: only the ledger and the two files.
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("cloud.read")
                  and not p.name.startswith("cloud.index")) == [
        "cloud-cloudwatt.tlog-proof", "cloud.checkpoint.txt", "cloud.db"]
    again = run("demo", "--db", "cloud.db")
    assert again.exit_code == 2


# -- docs/integrity.md: checking by hand ------------------------------------------------


def doc_scripts() -> list[str]:
    """The shell blocks of docs/integrity.md's "By hand" steps, as written there."""
    import re
    import textwrap

    text = (Path(__file__).parents[2] / "docs" / "integrity.md").read_text()
    section = text.split("**By hand, with openssl")[1].split("The tests run steps")[0]
    return [textwrap.dedent(block) for block in re.findall(r"\n   ```sh\n(.*?)   ```", section,
                                                              re.S)]


@pytest.mark.skipif(not all(__import__("shutil").which(t) for t in ("openssl", "xxd", "bash")),
                    reason="the by-hand check needs openssl, xxd and bash")
def test_the_documented_by_hand_checks_work(published: tuple[Path, Path, str],
                                            tmp_path: Path) -> None:
    import subprocess

    ledger, signed, vkey = published
    work = tmp_path / "reader"
    work.mkdir()
    (work / "checkpoint.txt").write_text(signed.read_text())
    proof = run("--db", str(ledger), "prove", "grant-1", "--checkpoint", str(signed)).stdout
    (work / "cloudwatt.tlog-proof").write_text(proof)
    key_block, signature_block, script = doc_scripts()
    key_block = "\n".join(f"VKEY='{vkey}'" if line.startswith("VKEY=") else line
                          for line in key_block.splitlines()) + "\n"

    def sh(code: str, *args: str) -> str:
        return subprocess.run(["bash", "-c", code, "sh", *args], cwd=work, check=True,
                              capture_output=True, text=True).stdout

    key_id = vkey.split("+")[1]
    assert sh(key_block + signature_block) == f"{key_id}\n{key_id}\nSignature Verified " \
                                               "Successfully\n"
    (work / "check-proof.sh").write_text(script)
    root = signed.read_text().split("\n")[2]
    assert sh("bash check-proof.sh cloudwatt.tlog-proof") == root + "\n"
    lines = proof.split("\n")
    (work / "cloudwatt.tlog-proof").write_text(flip(proof, lines[1], lines[1][:-8] + (
        "AAAAAAAA" if not lines[1].endswith("AAAAAAAA") else "BBBBBBBB")))
    assert sh("bash check-proof.sh cloudwatt.tlog-proof") != root + "\n"
    (work / "checkpoint.txt").write_text(flip(signed.read_text(), "\n12\n", "\n13\n"))
    with pytest.raises(subprocess.CalledProcessError):
        sh(key_block + signature_block)


def test_prove_takes_the_position_from_the_local_index_only_if_the_store_agrees(
        tmp_path: Path) -> None:
    import sqlite3

    ledger = tmp_path / "ledger.db"
    outcomes = Outcomes(ledger)
    assert outcomes("init").exit_code == 0
    assert outcomes("import", "-", input="\n".join(json.dumps(e) for e in base_events())
                    ).exit_code == 0
    keyfile, vkey = keygen(tmp_path)
    sign(outcomes, keyfile, tmp_path / "c.txt")
    index = tmp_path / "ledger.index.db"
    assert index.exists()
    for position in (6, 2):  # as indexed, then a stale or altered index
        con = sqlite3.connect(index)
        con.execute("UPDATE ledger_index_entries SET position = ? WHERE id = 'grant-2'",
                    (position,))
        con.commit()
        con.close()
        proof = outcomes("prove", "grant-2", "--checkpoint", str(tmp_path / "c.txt")).stdout
        assert "\nindex 5\n" in proof
        assert reference.tlog_proof(proof.encode(), vkey)["id"] == "grant-2"
