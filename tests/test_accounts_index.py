"""The index of a large accounts file: same answers as the file, never stale, private."""

from __future__ import annotations

import io
import json
import os
import random
import time
from pathlib import Path

import pytest

from support import require_root, run_cli
from test_interactive import terminal  # noqa: F401 (fixture)

from assume_role import accounts
from assume_role.accounts import views as accounts_views
from assume_role.accounts.index import HEADER_SIZE as HEADER, IndexView
from assume_role.accounts.views import CASELESS, LOOSE, MISSING, PREFIX, TableView

PLUGIN_DIR = Path(__file__).resolve().parents[1] / "plugin"

ODD = {
    "Prod-EU": "012345678901",
    "prod-eu": "012345678902",
    'quote"d': "012345678903",
    "back\\slash": "012345678904",
    "tab\there": "012345678905",
    "ünïcode": {"id": "012345678906", "roles": ["read"], "region": "eu-west-1"},
    "\ud800lone": "012345678907",
    "broken": "12345",
    "number": 12345678901,
    "dup-a": "099999999999",
    "dup-b": "099999999999",
    "#sync": {"via": "x:y"},
    "": "012345678908",
}


def big_table(count: int = 10000) -> dict:
    table = {f"team-{n:05d}": (f"{200000000000 + n:012d}" if n % 3 else {"id": f"{200000000000 + n:012d}", "roles": ["admin"]})
             for n in range(count)}
    table.update(ODD)
    return table


def write(path: Path, table: dict, *, age: float = 60) -> None:
    path.write_text(json.dumps(table))
    old = time.time() - age
    os.utime(path, (old, old))


@pytest.fixture
def files(tmp_path, monkeypatch):
    path = tmp_path / "accounts"
    monkeypatch.setenv("ASSUME_ROLE_ACCOUNTS_FILE", str(path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return path


def indexed(path: Path) -> IndexView:
    accounts.view(path)  # builds
    found = accounts.view(path)
    assert isinstance(found, IndexView)
    return found


def index_files(tmp_path: Path) -> list[Path]:
    return list((tmp_path / "cache" / "assume-role").glob("accounts-*.idx"))


def test_index_answers_like_the_file(files, tmp_path):
    table = big_table()
    write(files, table)
    index, plain = indexed(files), TableView(table)
    [index_file] = index_files(tmp_path)
    assert index_file.stat().st_mode & 0o777 == 0o600
    for alias in [*ODD, "team-00001", "team-00003", "missing", "team-0000"]:
        assert index.entry(alias) == plain.entry(alias), alias
    assert index.entry("#sync") is MISSING
    for account_id in ["012345678906", "099999999999", "200000000004", "000000000000"]:
        assert index.alias_of_id(account_id) == plain.alias_of_id(account_id)
    assert index.alias_of_id("099999999999") == "dup-a"  # the first in the file, as accounts.find says
    assert sorted(index.pairs()) == sorted(plain.pairs())
    for typed in ["", "team-0001", "Prod", "prod", "PROD", "pe", "ü", "Ü", 'quote"', "back\\", "t5", "zzz", "ß", "2000"]:
        for match in (PREFIX, CASELESS, LOOSE):
            for limit in (None, 3):
                found, total = index.sample(typed, match, limit=limit)
                expected, expected_total = plain.sample(typed, match, limit=limit)
                if match == PREFIX:  # sorted by the alias as JSON, not as text: see the next test
                    if limit:
                        assert len(found) == min(limit, expected_total), typed
                        continue
                    found, expected = sorted(found), sorted(expected)
                assert (found, total) == (expected, expected_total), (typed, match, limit)
                assert all(accounts_views.selects(typed, match, alias) for alias, _ in found)
        for limit in (1, 40):
            assert index.ordered(typed, limit=limit) == plain.ordered(typed, limit=limit), typed
    assert index.replacement is None  # every answer came from the index itself


def test_picker_order_ignores_case_and_digits_find_ids(files):
    table = {**big_table(100), "Zeta": "111111111111", "alpha": "111111111112", "Éclair": "111111111113",
             "éa": "111111111114", "straße": "111111111115"}
    write(files, {**table, **{f"pad-{n}": f"{300000000000 + n}" for n in range(12000)}})
    for view in (indexed(files), TableView(json.loads(files.read_text()))):
        first, total = view.ordered(limit=3)
        assert [alias for alias, _ in first] == ["", "alpha", "back\\slash"] and total == 12115
        assert view.ordered("ZET", limit=5) == ([("Zeta", "111111111111")], 1)
        assert [a for a, _ in view.ordered("é", limit=5)[0]] == ["éa", "Éclair"]
        assert view.sample("STRASS", CASELESS, limit=None) == ([("straße", "111111111115")], 1)
        # Digits select aliases holding them and ids starting with them.
        found, total = view.ordered("20000000001", limit=100)
        assert {a for a, _ in found} == {f"team-{n:05d}" for n in range(10, 20)} and total == 10


def test_samples_keep_the_common_prefix(files):
    write(files, big_table())
    index = indexed(files)
    everything = sorted(pair for pair in index.pairs() if pair[0].startswith("team-0"))
    sample, total = index.sample("team-0", PREFIX, limit=50)
    assert total == len(everything) == 10000 and len(sample) == 50
    assert sample[0] == everything[0] and sample[-1] == everything[-1]
    assert os.path.commonprefix([a for a, _ in sample]) == os.path.commonprefix([a for a, _ in everything])
    ids, total = index.id_sample("200000001", prefix=True, limit=10)
    assert total == 1000 and len(ids) == 10 and ids[-1] == ("200000001999", "team-01999")


def test_a_changed_file_is_never_answered_from_a_stale_index(files, tmp_path):
    table = big_table()
    write(files, table)
    indexed(files)
    # Same size, same mtime, same inode: only the ctime tells.
    text = files.read_text().replace('"team-00001": "200000000001"', '"team-00001": "300000000001"')
    stat = files.stat()
    with open(files, "r+") as handle:
        handle.write(text)
    os.utime(files, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert files.stat().st_size == stat.st_size
    assert accounts.view(files).entry("team-00001") == "300000000001"
    assert accounts.find("team-00001").id == "300000000001"
    # Replaced by another file of the same size and times.
    other = files.with_name("other")
    other.write_text(text.replace("300000000001", "400000000001"))
    os.utime(other, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    os.replace(other, files)
    assert accounts.find("team-00001").id == "400000000001"


def test_a_fresh_file_is_read_but_not_indexed(files, tmp_path):
    write(files, big_table(), age=0)
    assert accounts.find("team-00002").id == "200000000002"
    assert index_files(tmp_path) == []


def test_an_index_others_could_read_or_that_is_not_ours_is_not_trusted(files, tmp_path):
    write(files, big_table())
    indexed(files)
    [index_file] = index_files(tmp_path)
    # Forge an answer in the index, then open it up: it must not be believed.
    forged = index_file.read_bytes().replace(b'"team-00001"\t200000000001', b'"team-00001"\t999999999991')
    assert forged != index_file.read_bytes()
    index_file.write_bytes(forged)
    index_file.chmod(0o644)
    assert accounts.find("team-00001").id == "200000000001"
    index_file = index_files(tmp_path)[0]
    index_file.write_bytes(forged)
    index_file.chmod(0o600)
    require_root()
    os.chown(index_file, 65534, 65534)
    assert accounts.find("team-00001").id == "200000000001"


def test_a_cut_short_index_is_rebuilt(files, tmp_path):
    write(files, big_table())
    indexed(files)
    [index_file] = index_files(tmp_path)
    index_file.write_bytes(index_file.read_bytes()[:-100])
    assert accounts.find("team-09999").id == "200000009999"
    assert isinstance(accounts.view(files), IndexView)  # rebuilt whole


def test_without_a_usable_cache_directory_everything_still_works(files, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    write(files, big_table())
    assert accounts.find("ünïcode") == accounts.Account("ünïcode", "012345678906", ("read",), "eu-west-1")
    assert accounts.find("012345678903").alias == 'quote"d'


def test_find_names_what_is_wrong_and_what_was_meant(files):
    write(files, {**big_table(), "production": "111111111111", "prod-us": "111111111112"})
    indexed(files)
    from assume_role.errors import UsageError

    with pytest.raises(UsageError, match="did you mean .*Prod-EU"):
        accounts.find("Prod-Eu")
    # A beginning of a few aliases names them, ignoring case; of many, three and how many.
    with pytest.raises(UsageError, match=r"unknown account alias 'PRODU'; did you mean production\?$"):
        accounts.find("PRODU")
    with pytest.raises(UsageError, match=r"'prod'; did you mean Prod-EU, prod-eu, prod-us \(4 aliases start with 'prod'\)"):
        accounts.find("prod")
    with pytest.raises(UsageError, match=r"'team-0999'; did you mean team-09990, team-09991, team-09992 \(10 aliases"):
        accounts.find("team-0999")
    with pytest.raises(UsageError, match="12 digits"):
        accounts.find("broken")
    assert accounts.find("123456789012") == accounts.Account("123456789012", "123456789012")
    # Names from the file reach the terminal without their control characters.
    write(files, {"evil\x1b]0;title\x07": "111111111111"})
    with pytest.raises(UsageError, match=r"did you mean evil\?\]0;title\?\?$"):
        accounts.find("evi")


def test_completion_from_a_large_file_in_each_shell_form(tmp_path):
    path = tmp_path / "accounts"
    write(path, big_table(20000))
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(PLUGIN_DIR), "HOME": str(tmp_path),
           "ASSUME_ROLE_ACCOUNTS_FILE": str(path), "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "XDG_STATE_HOME": str(tmp_path / "state")}
    bash = run_cli(env, "__complete", "--shell", "bash", "--", "team-1999")
    assert bash.stdout.split() == [f"team-1999{n}" for n in range(10)]
    role = run_cli(env, "__complete", "--shell", "zsh", "--", "team-00003", "")
    assert role.stdout.startswith("role\t1\nadmin\n")
    zsh = run_cli(env, "__complete", "--shell", "zsh", "--", "team")
    lines = zsh.stdout.splitlines()
    assert "account\t1000" in lines
    assert "hint\t1" in lines and "20,000 accounts match: type more of the alias to narrow" in lines
    # Digits are account ids: as many as for aliases, and the same advice.
    ids = run_cli(env, "__complete", "--shell", "zsh", "--", "20000001").stdout.splitlines()
    assert "account-id\t1000" in ids
    assert "hint\t1" in ids and "10,000 account ids match: type more digits to narrow" in ids
    fish = run_cli(env, "__complete", "--shell", "fish", "--", "team-1234")
    # fish matches fuzzily itself: it gets every alias holding the characters in order.
    lines = fish.stdout.splitlines()
    assert {f"team-1234{n}\t{200000012340 + n:012d}" for n in range(10)} <= set(lines)
    assert all(accounts_views.loose_match("team-1234", line.split("\t")[0]) for line in lines)
    assert len(index_files(tmp_path)) == 1


def test_assume_by_alias_and_by_id_through_the_index(aws_env, world, mfa_code, tmp_path):
    path = Path(aws_env["ASSUME_ROLE_ACCOUNTS_FILE"])
    write(path, {**big_table(), **world.accounts})
    first = run_cli(aws_env, "--shell", "bash", "staging", "read", mfa_code())  # builds the index
    assert first.returncode == 0, first.stderr
    assert list(Path(aws_env["XDG_CACHE_HOME"], "assume-role").glob("accounts-*.idx"))
    by_id = run_cli(aws_env, "--shell", "bash", world.production_account_id, "read")
    assert by_id.returncode == 0, by_id.stderr
    assert "export AWS_ACCOUNT_NAME='production'" in by_id.stdout
    # The file changes: the next run sees it at once.
    table = json.loads(path.read_text())
    table["production"] = world.staging_account_id
    write(path, table)
    moved = run_cli(aws_env, "--shell", "bash", "production", "read")
    assert moved.returncode == 0, moved.stderr
    assert f"export AWS_ACCOUNT_ID='{world.staging_account_id}'" in moved.stdout


def test_a_file_of_100000_detailed_aliases_is_within_the_bound(files, tmp_path):
    # Object entries with roles and a region, as people indent them: about
    # 13 MB, beyond the 8 MiB that bounds the tool's other files.
    table = {
        f"org-account-{n:06d}": {"id": f"{300000000000 + n:012d}", "roles": ["read", "admin"], "region": "eu-west-1"}
        for n in range(100_000)
    }
    files.write_text(json.dumps(table, indent=2))
    old = time.time() - 60
    os.utime(files, (old, old))
    assert files.stat().st_size > 8 * 1024 * 1024
    found = accounts.find("org-account-099999")
    assert found == accounts.Account("org-account-099999", "300000099999", ("read", "admin"), "eu-west-1")
    assert index_files(tmp_path)  # and later runs read it through the index
    assert accounts.find("300000000042").alias == "org-account-000042"


def test_a_rebuild_removes_older_indexes_of_the_same_file_only(files, tmp_path):
    write(files, big_table())
    other = tmp_path / "other-accounts"
    write(other, big_table(12000))
    indexed(files)
    indexed(other)
    [mine] = [p for p in index_files(tmp_path) if str(files) in p.read_bytes()[:HEADER].decode()]
    # An index of the same file under an older name (an earlier version named them by sha256).
    older = mine.with_name("accounts-" + "ab" * 12 + ".idx")
    older.write_bytes(mine.read_bytes())
    older.chmod(0o600)
    write(files, {**big_table(), "new-alias": "123456789012"})
    assert indexed(files).entry("new-alias") == "123456789012"
    assert not older.exists()
    assert len(index_files(tmp_path)) == 2  # this file's new index and the other file's


@pytest.mark.parametrize("header", [b'{"stamp": {}}', b'{"stamp": []}', b'{"stamp": 5}', b"[1]", b"\xff"])
def test_a_rebuild_passes_over_unreadable_index_files(files, tmp_path, header):
    write(files, big_table())
    indexed(files)
    odd = index_files(tmp_path)[0].with_name("accounts-odd.idx")
    odd.write_bytes(header.ljust(HEADER, b" "))
    write(files, {**big_table(), "new-alias": "123456789012"})
    assert indexed(files).entry("new-alias") == "123456789012"
    assert odd.exists()


# -- a damaged index ------------------------------------------------------------------

DAMAGE = ["a changed id", "garbage over the lines used", "zeroed blocks"]
WARNING = "damaged accounts index"


def damage(index_file: Path, how: str, aliases: dict[str, str]) -> None:
    """Change bytes of the index in place, keeping its size and times, as a disk error or a stray write would.

    ``aliases``: alias to the id its lines should be made to name instead.
    """
    data = bytearray(index_file.read_bytes())
    header = json.loads(data[:HEADER])
    if how == "a changed id":
        # The worst case: a well-formed line that names another account.
        for alias, other_id in aliases.items():
            start = data.index(b'\n"%s"\t' % alias.encode()) + 1
            end = data.index(b"\n", start)
            right_id = data[start:end].split(b"\t")[1]
            data[start:end] = data[start:end].replace(right_id, other_id.encode())
    elif how == "garbage over the lines used":
        noise = random.Random(how)
        for alias in aliases:
            for at in [n for n in range(len(data)) if data.startswith(b'"%s"\t' % alias.encode(), n)]:
                data[at : at + 40] = noise.randbytes(40)
    else:
        for name in ("aliases", "ids", "folded"):
            start, count, offsets_at, _ = header[name]
            middle = start + (offsets_at - start) // 3
            data[middle : middle + 4096] = bytes(4096)
            middle = offsets_at + 2 * count
            data[middle : middle + 64] = bytes(64)
    assert data != index_file.read_bytes()
    before = index_file.stat()
    with open(index_file, "r+b") as handle:
        handle.write(data)
    os.utime(index_file, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = index_file.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)


def large_world_file(aws_env, world) -> Path:
    path = Path(aws_env["ASSUME_ROLE_ACCOUNTS_FILE"])
    write(path, {**big_table(20000), **world.accounts})
    return path


def the_index(aws_env) -> Path:
    [index_file] = Path(aws_env["XDG_CACHE_HOME"], "assume-role").glob("accounts-*.idx")
    return index_file


@pytest.mark.parametrize("how", DAMAGE)
def test_a_damaged_index_costs_one_warning_and_the_right_account(aws_env, world, mfa_code, how):
    large_world_file(aws_env, world)
    first = run_cli(aws_env, "--shell", "bash", "staging", "read", mfa_code())  # builds the index
    assert first.returncode == 0 and first.stderr == "", first.stderr
    damage(the_index(aws_env), how, {"production": world.staging_account_id})
    run = run_cli(aws_env, "--shell", "bash", "production", "read")
    assert run.returncode == 0, run.stderr
    assert f"export AWS_ACCOUNT_ID='{world.production_account_id}'" in run.stdout
    assert run.stderr.count(WARNING) <= 1 and len(run.stderr.splitlines()) <= 1, run.stderr
    if how == "a changed id":  # found only by the line's checksum, which must have spoken
        assert run.stderr.startswith(f"assume-role: warning: ignoring {WARNING} {the_index(aws_env)}"), run.stderr
    # The index was written again: the next run is quiet, and fast again.
    again = run_cli(aws_env, "--shell", "bash", "production", "read")
    assert again.returncode == 0 and again.stderr == "", again.stderr
    assert f"export AWS_ACCOUNT_ID='{world.production_account_id}'" in again.stdout
    assert isinstance(accounts.view(Path(aws_env["ASSUME_ROLE_ACCOUNTS_FILE"])), IndexView)


@pytest.mark.parametrize("how", DAMAGE)
def test_tab_answers_from_a_damaged_index_as_from_a_sound_one(aws_env, world, how):
    large_world_file(aws_env, world)
    typed = {"bash": ["team-1999"], "zsh": ["team"], "fish": ["team-1234"]}
    words = [*[(shell, line) for shell, line in typed.items()], ("zsh", ["team-00003", ""]), ("fish", ["2000000199"])]
    sound = [run_cli(aws_env, "__complete", "--shell", shell, "--", *line) for shell, line in words]
    assert all(run.returncode == 0 and run.stdout for run in sound)
    damaged = b""
    for number, (shell, line) in enumerate(words):
        if the_index(aws_env).read_bytes() != damaged:  # rebuilt by the last Tab: damage the new one
            damage(the_index(aws_env), how, {"team-19995": "200000012345", "team-12345": "200000019995",
                                             "team-00003": "200000000004", "": "200000019995"})
            damaged = the_index(aws_env).read_bytes()
        run = run_cli(aws_env, "__complete", "--shell", shell, "--", *line)
        assert (run.returncode, run.stdout, run.stderr) == (0, sound[number].stdout, ""), (shell, line)


def test_the_picker_opens_on_a_damaged_index_with_the_right_ids(terminal, aws_env, world, mfa_code):
    large_world_file(aws_env, world)
    assert run_cli(aws_env, "__complete", "--shell", "bash", "--", "x").returncode == 0  # builds the index
    damage(the_index(aws_env), "a changed id", {"production": world.staging_account_id, "": "200000000001"})
    term = terminal("bash")
    child = term.child
    child.logfile_read = seen = io.StringIO()
    term.run("assume-role")
    child.expect_exact("Account")
    child.send("producti")
    child.expect(rf"production +\S* {world.production_account_id}")  # the menu's id, between colours
    child.send("\r")
    child.expect_exact(f"Role in production ({world.production_account_id})")
    child.send("read\r")
    child.expect_exact("MFA code for")
    child.send(mfa_code() + "\r")
    term.expect_prompt()
    assert term.status() == 0
    assert term.identity().startswith(f"arn:aws:sts::{world.production_account_id}:assumed-role/read/")
    assert seen.getvalue().count(WARNING) == 1
