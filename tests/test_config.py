from pathlib import Path

import pytest

from mri_course.config import PROFILES, SettingsError, load_settings, redact_url


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


@pytest.mark.parametrize("key", ["AIza-abc\n", "AIza abc", "AIza\u00e9abc", "AIza\tb"])
def test_a_key_that_cannot_be_a_key_is_refused_without_showing_it(key):
    with pytest.raises(SettingsError, match="GEMINI_API_KEY holds a space") as raised:
        load_settings({"GEMINI_API_KEY": key + "x"})
    assert "abc" not in str(raised.value)


def test_login_details_in_the_base_url_never_show():
    url = "http://user:s3cret@127.0.0.1:8080/v1"
    settings = load_settings({"MRI_COURSE_GEMINI_BASE_URL": url})
    assert settings.gemini_base_url == url  # the SDK gets it whole
    assert "s3cret" not in settings.describe() and "***@127.0.0.1:8080" in settings.describe()
    assert redact_url("https://host/x") == "https://host/x"
    for bad in ("ftp://host", "127.0.0.1:8080", "http://"):
        with pytest.raises(SettingsError, match="MRI_COURSE_GEMINI_BASE_URL"):
            load_settings({"MRI_COURSE_GEMINI_BASE_URL": bad})
