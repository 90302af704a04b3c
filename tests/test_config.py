from pathlib import Path

import pytest

from mri_course.cli import main
from mri_course.config import (
    PROFILES,
    SettingsError,
    load_settings,
    project_root,
    redact_url,
    shown_path,
)


def test_defaults_are_the_cpu_profile_and_seed_42(tmp_path):
    settings = load_settings({"HOME": str(tmp_path)})
    assert settings.profile.name == "cpu"
    assert settings.seed == 42
    assert settings.data_dir is None
    assert settings.cache_dir == tmp_path / ".cache" / "mri-course"
    xdg = load_settings({"HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "xdg")})
    assert xdg.cache_dir == tmp_path / "xdg" / "mri-course"


def test_a_tilde_in_a_path_setting_means_the_given_home(tmp_path):
    settings = load_settings({"HOME": str(tmp_path), "MRI_COURSE_DATA": "~/brain-tumor-mri"})
    assert settings.data_dir == (tmp_path / "brain-tumor-mri").resolve()


def test_every_setting_comes_from_the_environment(tmp_path):
    settings = load_settings(
        {
            "MRI_COURSE_PROFILE": "FAST",
            "MRI_COURSE_DATA": str(tmp_path / "data"),
            "MRI_COURSE_MODELS": str(tmp_path / "models"),
            "MRI_COURSE_CACHE": str(tmp_path / "cache"),
            "MRI_COURSE_SEED": "7",
        }
    )
    assert settings.profile is PROFILES["fast"]
    assert settings.data_dir == (tmp_path / "data").resolve()
    assert settings.models_dir == (tmp_path / "models").resolve()
    assert settings.cache_dir == (tmp_path / "cache").resolve()
    assert settings.seed == 7
    assert "profile : fast" in settings.describe()


def test_profiles_get_more_expensive():
    fast, cpu, full = PROFILES["fast"], PROFILES["cpu"], PROFILES["full"]
    assert fast.synthetic and not cpu.synthetic and not full.synthetic
    assert fast.image_size < cpu.image_size < full.image_size
    assert fast.transfer_image_size >= 71  # Xception's smallest input
    assert (full.image_size, full.transfer_image_size) == (224, 299)  # the brief's recipe


def test_an_unknown_profile_names_the_setting_and_the_choices():
    with pytest.raises(SettingsError, match=r"MRI_COURSE_PROFILE='gpu'.*fast, cpu, full"):
        load_settings({"MRI_COURSE_PROFILE": "gpu"})


def test_a_bad_seed_names_the_setting():
    with pytest.raises(SettingsError, match="MRI_COURSE_SEED='abc' is not an integer"):
        load_settings({"MRI_COURSE_SEED": "abc"})
    for bad in ("-5", str(2**70), str(2**32)):
        with pytest.raises(SettingsError, match=f"MRI_COURSE_SEED='{bad}' is out of range"):
            load_settings({"MRI_COURSE_SEED": bad})
    assert load_settings({"MRI_COURSE_SEED": str(2**32 - 1)}).seed == 2**32 - 1


def test_with_profile_switches_only_the_profile(tmp_path):
    settings = load_settings({"MRI_COURSE_CACHE": str(tmp_path)})
    fast = settings.with_profile("fast")
    assert fast.profile.name == "fast" and fast.cache_dir == settings.cache_dir
    with pytest.raises(SettingsError, match="profile='nope'"):
        settings.with_profile("nope")


def test_models_folder_defaults_to_the_checkout():
    assert load_settings({}).models_dir == Path(__file__).resolve().parents[1] / "models"


KEY_PROBLEMS = {
    "a line break": ["AIza-abc\nx", "AIza-abc\r\nx", "AIza-abc\rx"],
    "a control character": ["AIza\tabcx", "AIza\x00abcx", "AIza\x7fabcx"],
    "a space": ["AIza abcx"],
    "a character that is not ASCII": ["AIza\u00e9abcx", "AIza\u2028abcx", "AIza\u00a0abcx"],
}


@pytest.mark.parametrize(
    ("problem", "key"), [(problem, key) for problem, keys in KEY_PROBLEMS.items() for key in keys]
)
def test_a_key_that_cannot_be_a_key_is_refused_by_name_without_showing_it(problem, key):
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY"):
        with pytest.raises(SettingsError) as raised:
            load_settings({name: key})
        message = str(raised.value)
        assert message.startswith(f"{name} contains {problem}; copy the key again without it")
        assert "abc" not in message and "AIza" not in message


def test_a_line_break_around_the_key_is_only_trimmed():
    assert load_settings({"GEMINI_API_KEY": " AIza-abc\n"}).gemini_api_key == "AIza-abc"


URL = "http://learner:s3cret@127.0.0.1:8080/v1"


def test_login_details_in_the_base_url_never_show(monkeypatch, capsys):
    settings = load_settings({"MRI_COURSE_GEMINI_BASE_URL": URL})
    assert settings.gemini_base_url == URL  # the SDK gets it whole
    assert "***@127.0.0.1:8080" in settings.describe()
    for shown in (settings.describe(), repr(settings), str(settings)):
        assert "s3cret" not in shown and "learner" not in shown
    assert "gemini_base_url='http://***@127.0.0.1:8080/v1'" in repr(settings)
    assert redact_url("https://host/x") == "https://host/x"
    assert redact_url("http://a:b@c@host:99/x") == "http://***@host:99/x"  # '@' in a password
    # `mri-course settings` prints the description
    monkeypatch.setenv("MRI_COURSE_GEMINI_BASE_URL", URL)
    assert main(["settings"]) == 0
    printed = capsys.readouterr()
    assert "***@127.0.0.1:8080" in printed.out and "s3cret" not in printed.out + printed.err


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("ftp://learner:s3cret@host", "is not an http(s) address"),
        ("127.0.0.1:8080", "is not an http(s) address"),
        ("http://", "is not an http(s) address"),
        ("http://learner:s3cret@host:port/", "port"),
        ("http://learner:s3cret@host:99999/", "port"),
        ("http://learner:s3cret@[::1/", "is not an http(s) address"),
        ("http://learner:s3cret@host/v1?key=abc", "query"),
        ("http://learner:s3cret@host/v1#x", "query"),
        ("ftp://learner:s3cret@host/v1?key=abc", "query"),
        ("http://learner:s3cret@ho st/", "space"),
        ("http://learner:s3cret@host/\nv1", "space"),
    ],
)
def test_a_base_url_the_sdk_cannot_use_is_refused_without_its_login(url, says):
    with pytest.raises(SettingsError, match="MRI_COURSE_GEMINI_BASE_URL") as raised:
        load_settings({"MRI_COURSE_GEMINI_BASE_URL": url})
    assert says in str(raised.value)
    assert "s3cret" not in str(raised.value) and "learner" not in str(raised.value)
    assert "abc" not in str(raised.value)


def test_a_bad_base_url_is_reported_by_the_command_without_its_login(monkeypatch, capsys):
    monkeypatch.setenv("MRI_COURSE_GEMINI_BASE_URL", "http://learner:s3cret@host:port/")
    assert main(["settings"]) == 2
    printed = capsys.readouterr()
    assert "MRI_COURSE_GEMINI_BASE_URL" in printed.err
    assert "s3cret" not in printed.out + printed.err


@pytest.mark.parametrize(
    "name", ["gemini 2.5", "gemini/../../v1", "gemini?key=x", "-flash", "gemini\tpro"]
)
def test_a_gemini_model_name_that_would_change_the_address_is_refused(name):
    with pytest.raises(SettingsError, match="MRI_COURSE_GEMINI_MODEL=.* is not a model name"):
        load_settings({"MRI_COURSE_GEMINI_MODEL": name})


@pytest.mark.parametrize("name", ["gemini-2.5-flash", "models/gemini-3.8-flash", "gemma_3.1"])
def test_real_gemini_model_names_are_taken(name):
    assert load_settings({"MRI_COURSE_GEMINI_MODEL": name}).gemini_model == name


@pytest.mark.parametrize("value", ["0", "-3", "soon", "nan", "inf"])
def test_a_bad_gemini_timeout_names_the_setting(value):
    with pytest.raises(SettingsError, match="MRI_COURSE_GEMINI_TIMEOUT="):
        load_settings({"MRI_COURSE_GEMINI_TIMEOUT": value})


def test_a_report_names_a_path_inside_the_checkout_from_its_root(tmp_path):
    inside = project_root() / "models" / "cnn_framed.keras"
    assert shown_path(inside) == "models/cnn_framed.keras"
    assert shown_path(tmp_path / "elsewhere.keras") == str(tmp_path / "elsewhere.keras")
