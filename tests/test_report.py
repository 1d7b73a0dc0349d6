"""Reports: contents, companions, reproducibility, atomic writes, the command line."""

import os
import re

import numpy as np
import pytest

import bayesmi as bm
from bayesmi import truth
from bayesmi.result import MIResult


@pytest.fixture(scope="module")
def results():
    x, y, _ = truth.correlated_gaussian(0.6, 600, seed=0)
    a = bm.estimate(x, y, seed=0, n_draws=8, progress=False)
    b = bm.estimate(x, y, method="ksg", seed=0, progress=False, n_draws=20, n_permutations=4)
    c = MIResult(truth.rng(seed=0).normal(0.2, 0.02, (2, 50)), kind="posterior", method="mcmc")
    return {"gmm": a, "ksg": b, "chains": c}


def test_report_contents_and_companions(results, tmp_path):
    written = bm.report(results, tmp_path / "r.html", call="pytest")
    page = (tmp_path / "r.html").read_text()
    assert "<h2>Summary" in page and "Comparison: I(X;Y)" in page and "trace plot" in page
    assert "cross-validation of the component count" in page and "data_sha256" in page
    assert page.count("data:image/png;base64,") >= 6
    assert "http" not in page  # self-contained: nothing fetched to view it
    back = bm.load(written["nc:gmm"])
    np.testing.assert_array_equal(back.draws_nats, results["gmm"].draws_nats)
    summary = (tmp_path / "r_summary.csv").read_text()
    assert "ksg,I(X;Y),ksg,nats,subsample" in summary


def test_same_results_same_files(results, tmp_path):
    bm.report(results, tmp_path / "a" / "r.html")
    bm.report(results, tmp_path / "b" / "r.html")
    for name in ("r_gmm.nc", "r_ksg.nc", "r_chains.nc", "r_summary.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    strip = lambda p: re.sub(r"<p>Written [^<]*</p>", "", p.read_text())  # noqa: E731
    assert strip(tmp_path / "a" / "r.html") == strip(tmp_path / "b" / "r.html")


def test_a_crash_leaves_no_half_report(results, tmp_path, monkeypatch):
    from bayesmi.report import verify

    real_replace = os.replace
    first = {"gmm": results["gmm"]}
    bm.report(first, tmp_path / "r.html")
    old = {p: p.read_bytes() for p in tmp_path.iterdir()}

    def fail_on(suffix):
        def replace(src, dst):
            if str(dst).endswith(suffix):
                raise KeyboardInterrupt
            real_replace(src, dst)

        return replace

    # Before the journal: every old file stays, no temporary is left.
    monkeypatch.setattr(os, "replace", fail_on(".pending"))
    with pytest.raises(KeyboardInterrupt):
        bm.report(results, tmp_path / "r.html")
    assert {p: p.read_bytes() for p in tmp_path.iterdir()} == old
    # During the renames: the next reader (or writer) finishes the set, all new.
    monkeypatch.setattr(os, "replace", fail_on(".html"))
    with pytest.raises(KeyboardInterrupt):
        bm.report(results, tmp_path / "r.html")
    monkeypatch.setattr(os, "replace", real_replace)
    assert verify(tmp_path / "r.html") == []
    assert not [p for p in os.listdir(tmp_path) if p.endswith((".tmp", ".pending"))]
    assert len([p for p in os.listdir(tmp_path) if p.endswith(".nc")]) == len(results)


def test_bad_results():
    with pytest.raises(TypeError, match="'x' is a int, not an MIResult"):
        bm.report({"x": 3})
    with pytest.raises(ValueError, match="result names must be letters"):
        bm.report({"a b": MIResult(np.ones((1, 3)), kind="bootstrap")})


def test_cli_report(results, tmp_path, capsys):
    from bayesmi.cli import main

    paths = [results[k].save(tmp_path / f"{k}.nc") for k in ("gmm", "ksg")]
    assert main(["report", *paths, "-o", str(tmp_path / "out" / "rep.html")]) == 0
    assert (tmp_path / "out" / "rep.html").exists()
    assert "bayesmi report" in (tmp_path / "out" / "rep.html").read_text()
    assert "html" in capsys.readouterr().out


def test_citations_mixture_contours_and_training_curves(results, tmp_path):
    n = 40
    log = {
        "log_iteration": np.tile(np.arange(n // 2), 2),
        "log_member": np.repeat([0, 1], n // 2),
        "log_split": np.tile([0, 1], n // 2),
        "log_loss": np.linspace(1, 0, n),
        "log_mi_nats": np.linspace(0, 0.3, n),
    }
    neural = MIResult(np.full((1, 5), 0.3), kind="ensemble", method="none", extras=log)
    df = bm.plotting.training_log(neural)
    assert list(df.columns) == ["iteration", "member", "split", "loss", "mi_nats"]
    assert set(df["split"]) == {"train", "validation"}
    bm.report({**results, "critic": neural}, tmp_path / "r.html")
    page = (tmp_path / "r.html").read_text()
    assert "training curves" in page and "the fitted mixture" in page
    assert "<h2>References</h2>" in page and "Kraskov" in page and "Piras" in page
    with pytest.raises(ValueError, match="no training log"):
        bm.plotting.training_log(results["gmm"])


def test_report_renders_in_a_real_browser(results, tmp_path):
    """Open the page in headless Chromium: the table is in the DOM, every figure decodes, and
    the screenshot is not blank. CI installs Debian's chromium (.ci/run) and sets
    BAYESMI_REQUIRE_BROWSER=1, so there this test cannot skip."""
    import shutil

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        if os.environ.get("BAYESMI_REQUIRE_BROWSER"):
            pytest.fail("BAYESMI_REQUIRE_BROWSER is set but no chromium is installed")
        pytest.skip("no chromium on this machine (CI installs it)")
    from PIL import Image
    from playwright.sync_api import sync_playwright

    bm.report(results, tmp_path / "r.html")
    flags = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
    flags += ["--disable-component-update", "--disable-sync", "--no-first-run"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=flags)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.goto((tmp_path / "r.html").resolve().as_uri())
            table = page.inner_text("table")
            images = page.evaluate(
                "Array.from(document.images).map(i => [i.complete, i.naturalWidth])"
            )
            page.screenshot(path=str(tmp_path / "shot.png"), full_page=True)
        finally:
            browser.close()
    assert "I(X;Y)" in table and "gmm" in table and "ksg" in table and "nats" in table
    assert len(images) >= 6 and all(done and width > 100 for done, width in images), images
    shot = np.asarray(Image.open(tmp_path / "shot.png").convert("L"))
    assert shot.shape[0] > 2000 and shot.shape[1] >= 1000  # the whole page, figures included
    assert shot.std() > 20  # not blank: text and figures on white
