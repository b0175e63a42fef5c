"""The pytest plugin's `nomad_server` fixture, exercised in pytester sessions."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


def test_fixture_serves_default_users(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx

        def test_it(nomad_server):
            token = nomad_server.token_for("test")
            me = httpx.get(
                f"{nomad_server.api_url}/users/me",
                headers={"Authorization": f"Bearer {token}"},
            )
            assert me.json()["username"] == "test"
            assert nomad_server.user("admin").is_admin
            assert nomad_server.config.processing_delay == 0.01
            assert nomad_server.config.api_version == "2.0"
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_marker_configures_the_server(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx
        import pytest

        @pytest.mark.nomad_server(api_version="1.3", users={"ann": "pw"}, datacite_enabled=True)
        def test_it(nomad_server):
            assert httpx.get(f"{nomad_server.api_url}/info").json()["version"] == "1.3.10"
            assert nomad_server.config.datacite_enabled
            nomad_server.user("ann")
        """
    )
    pytester.runpytest("-p", "no:cacheprovider", "--strict-markers").assert_outcomes(passed=1)


def test_indirect_parametrization(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx
        import pytest

        VERSIONS = ["2.0", "1.3", {"api_version": "1.3"}]

        @pytest.mark.parametrize("nomad_server", VERSIONS, indirect=True)
        def test_it(nomad_server):
            version = httpx.get(f"{nomad_server.api_url}/info").json()["version"]
            assert version.startswith(nomad_server.config.api_version)
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=3)


def test_each_test_gets_a_fresh_server(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        ports = []

        def test_one(nomad_server):
            nomad_server.add_user("extra", "pw")
            ports.append(nomad_server.port)

        def test_two(nomad_server):
            import pytest
            with pytest.raises(KeyError):
                nomad_server.user("extra")
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_marker_with_positional_arguments_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.nomad_server("1.3")
        def test_it(nomad_server):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*keyword arguments only*"])


def test_client_fixture_is_logged_in_to_the_server(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        def test_default_user(nomad_client, nomad_server):
            assert nomad_client.api_url == nomad_server.api_url
            assert nomad_client.users.me().username == "test"

        @pytest.mark.nomad_server(users={"ann": "secret"}, api_version="1.3")
        def test_first_given_user(nomad_client):
            assert nomad_client.users.me().username == "ann"
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)
