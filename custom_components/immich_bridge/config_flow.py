"""Config flow for Immich Bridge: user, reauth, reconfigure and options."""

from __future__ import annotations

from collections.abc import Mapping
import re
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import (
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.translation import async_get_translations
import voluptuous as vol
from yarl import URL

from .account import (
    ImmichBridgeAccount,
    InvalidCaCertError,
    async_connect,
    same_account,
)
from .api import (
    ImmichAlbum,
    ImmichClient,
    ImmichError,
    ImmichPermissionError,
    ImmichPerson,
)
from .const import (
    ALL_PEOPLE,
    CONF_ALBUMS,
    CONF_CA_CERT,
    CONF_FRAME_INTERVAL,
    CONF_FRAME_VIDEOS,
    CONF_FRAMES,
    CONF_LOW_DISK_THRESHOLD,
    CONF_PEOPLE,
    CONF_QUOTA_THRESHOLD,
    DEFAULT_FRAME_INTERVAL,
    DEFAULT_LOW_DISK_THRESHOLD,
    DEFAULT_QUOTA_THRESHOLD,
    DEFAULT_VERIFY_SSL,
    DOMAIN,
    LOGGER,
    PERCENTAGE,
    REAUTH_PERMISSIONS,
)
from .frames import FrameKind, FrameSource
from .helpers import error_translation
from .permissions import Source, feature_report

if TYPE_CHECKING:
    from .coordinator import ImmichBridgeConfigEntry


# A scheme such as "mailto:" (a colon not followed by a port number).
_OTHER_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:(?!\d)")


class InvalidUrlError(ValueError):
    """The URL is not an http(s) URL of a server."""


def normalize_url(raw: str) -> str:
    """Accept host:port, trailing slashes and a pasted /api; return the base URL."""
    text = raw.strip()
    if "://" not in text:
        if _OTHER_SCHEME.match(text):
            raise InvalidUrlError
        text = f"http://{text}"
    try:
        url = URL(text)
    except ValueError as err:
        raise InvalidUrlError from err
    if url.scheme not in ("http", "https") or not url.host or url.user:
        raise InvalidUrlError
    path = url.path.rstrip("/")
    path = path.removesuffix("/api")
    return str(url.with_path(path or "/").with_query(None).with_fragment(None)).rstrip(
        "/"
    )


def error_key(err: Exception) -> str:
    """Return the form error key for an exception of the validation."""
    if isinstance(err, InvalidCaCertError):
        return "invalid_ca_cert"
    if isinstance(err, ImmichError):
        return error_translation(err).form_key
    return "unknown"


def _user_schema(
    defaults: Mapping[str, Any], *, key_required: bool = True
) -> vol.Schema:
    """Build the form for URL, key and verify SSL (reconfigure: key optional)."""
    key = vol.Required(CONF_API_KEY) if key_required else vol.Optional(CONF_API_KEY)
    return vol.Schema(
        {
            vol.Required(CONF_URL, default=defaults.get(CONF_URL, vol.UNDEFINED)): (
                TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
            ),
            key: TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD)),
            vol.Optional(CONF_CA_CERT): TextSelector(
                TextSelectorConfig(multiline=True)
            ),
            vol.Required(
                CONF_VERIFY_SSL,
                default=defaults.get(CONF_VERIFY_SSL, DEFAULT_VERIFY_SSL),
            ): bool,
        }
    )


def _ca_cert(user_input: Mapping[str, Any]) -> str | None:
    """Return the CA certificate given (PEM text or a path), or None."""
    return str(user_input.get(CONF_CA_CERT) or "").strip() or None


def _entry_data(
    url: str, user_input: Mapping[str, Any], ca_cert: str | None
) -> dict[str, Any]:
    """Return an entry's data: URL, key, verify SSL and the CA when there is one."""
    data = {
        CONF_URL: url,
        CONF_API_KEY: user_input[CONF_API_KEY],
        CONF_VERIFY_SSL: user_input[CONF_VERIFY_SSL],
    }
    if ca_cert is not None:
        data[CONF_CA_CERT] = ca_cert
    return data


REAUTH_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_API_KEY): TextSelector(
            TextSelectorConfig(type=TextSelectorType.PASSWORD)
        )
    }
)


class ImmichBridgeConfigFlow(ConfigFlow, domain=DOMAIN):
    """Handle a config flow for Immich Bridge."""

    VERSION = 1
    MINOR_VERSION = 1

    def __init__(self) -> None:
        """Initialize the flow."""
        self._data: dict[str, Any] = {}
        self._account: ImmichBridgeAccount | None = None
        self._permissions = ""  # what a repair asks a new key for (reauth)

    @staticmethod
    @callback
    def async_get_options_flow(
        config_entry: ImmichBridgeConfigEntry,  # noqa: ARG004
    ) -> ImmichBridgeOptionsFlow:
        """Return the options flow."""
        return ImmichBridgeOptionsFlow()

    async def _async_try(
        self,
        url: str,
        api_key: str,
        *,
        verify_ssl: bool,
        errors: dict[str, str],
        ca_cert: str | None = None,
    ) -> ImmichBridgeAccount | None:
        """Connect and read the account, filling errors on failure."""
        try:
            connection = await async_connect(
                self.hass, url, api_key, verify_ssl=verify_ssl, ca_cert=ca_cert
            )
        except InvalidCaCertError:
            errors[CONF_CA_CERT] = "invalid_ca_cert"
        except ImmichError as err:
            errors["base"] = error_key(err)
        except Exception:  # noqa: BLE001
            LOGGER.exception("Unexpected exception")
            errors["base"] = "unknown"
        else:
            return connection.account
        return None

    def _title(self, account: ImmichBridgeAccount, url: str) -> str:
        """Name an entry (and its device) after the account; the host tells apart."""
        title = f"Immich {account.name}"
        if any(e.title == title for e in self._async_current_entries()):
            title = f"{title} ({URL(url).host})"
        return title

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for URL, API key and verify SSL."""
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                url = normalize_url(user_input[CONF_URL])
            except InvalidUrlError:
                errors[CONF_URL] = "invalid_url"
            else:
                ca_cert = _ca_cert(user_input)
                account = await self._async_try(
                    url,
                    user_input[CONF_API_KEY],
                    verify_ssl=user_input[CONF_VERIFY_SSL],
                    errors=errors,
                    ca_cert=ca_cert,
                )
                if account is not None:
                    await self.async_set_unique_id(account.unique_id)
                    self._abort_if_unique_id_configured()
                    self._data = _entry_data(url, user_input, ca_cert)
                    self._account = account
                    return await self.async_step_permissions()
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                _user_schema({}), user_input
            ),
            errors=errors,
        )

    async def async_step_permissions(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Tell the user which features the key unlocks, then create the entry."""
        account = self._account
        assert account is not None  # noqa: S101  # set by the user step
        if user_input is not None:
            return self.async_create_entry(
                title=self._title(account, self._data[CONF_URL]), data=self._data
            )
        return self.async_show_form(
            step_id="permissions",
            description_placeholders=await self._async_feature_placeholders(account),
        )

    async def _async_feature_placeholders(
        self, account: ImmichBridgeAccount
    ) -> dict[str, str]:
        """Describe available and unavailable features in the user's language."""
        report = feature_report(account.key_info, is_admin=account.is_admin)
        translations = await async_get_translations(
            self.hass, self.hass.config.language, "selector", {DOMAIN}
        )

        def label(feature: str) -> str:
            return translations.get(
                f"component.{DOMAIN}.selector.feature.options.{feature}", feature
            )

        if account.user is not None:
            who = account.user.name
        else:
            who = translations.get(
                f"component.{DOMAIN}.selector.account.options.key", "{name}"
            ).replace("{name}", account.key_info.name)

        def lines(items: list[str]) -> str:
            return (
                "\n".join(f"- {item}" for item in items) if items else "—"
            )  # a lone "-" would turn the line above into a heading

        return {
            "account": who,
            "unlocked": lines([label(f) for f in report.unlocked]),
            "locked": lines(
                [
                    f"{label(f)}: {', '.join(missing)}"
                    for f, missing in report.locked.items()
                ]
            ),
            "admin_only": lines([label(f) for f in report.needs_admin]),
        }

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Start reauthentication: the server refused the key, or a repair asks.

        The repair of missing permissions names them in REAUTH_PERMISSIONS.
        """
        if permissions := entry_data.get(REAUTH_PERMISSIONS):
            self._permissions = str(permissions)
            return await self.async_step_reauth_permissions()
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new API key of the same account: the old one was refused."""
        url = self._get_reauth_entry().data[CONF_URL]
        return await self._async_reauth("reauth_confirm", user_input, {"url": url})

    async def async_step_reauth_permissions(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new API key of the same account with the permissions named."""
        return await self._async_reauth(
            "reauth_permissions", user_input, {"permissions": self._permissions}
        )

    async def _async_reauth(
        self,
        step_id: str,
        user_input: dict[str, Any] | None,
        placeholders: dict[str, str],
    ) -> ConfigFlowResult:
        """Check the new key; keep it and reload when it is of the same account."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            account = await self._async_try(
                entry.data[CONF_URL],
                user_input[CONF_API_KEY],
                verify_ssl=entry.data[CONF_VERIFY_SSL],
                errors=errors,
                ca_cert=entry.data.get(CONF_CA_CERT),
            )
            if account is not None:
                if not same_account(entry.unique_id, account.user):
                    return self.async_abort(reason="wrong_account")
                return self.async_update_reload_and_abort(
                    entry, data_updates={CONF_API_KEY: user_input[CONF_API_KEY]}
                )
        return self.async_show_form(
            step_id=step_id,
            data_schema=REAUTH_SCHEMA,
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change URL, key and verify SSL of the same account; an empty key keeps it."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            api_key = (user_input.get(CONF_API_KEY) or "").strip() or entry.data[
                CONF_API_KEY
            ]
            try:
                url = normalize_url(user_input[CONF_URL])
            except InvalidUrlError:
                errors[CONF_URL] = "invalid_url"
            else:
                ca_cert = _ca_cert(user_input)
                account = await self._async_try(
                    url,
                    api_key,
                    verify_ssl=user_input[CONF_VERIFY_SSL],
                    errors=errors,
                    ca_cert=ca_cert,
                )
                if account is not None:
                    if not same_account(entry.unique_id, account.user):
                        return self.async_abort(reason="wrong_account")
                    data = {
                        **entry.data,
                        **_entry_data(
                            url, {**user_input, CONF_API_KEY: api_key}, ca_cert
                        ),
                    }
                    if ca_cert is None:
                        data.pop(CONF_CA_CERT, None)
                    return self.async_update_reload_and_abort(entry, data=data)
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                _user_schema(entry.data, key_required=False),
                {CONF_CA_CERT: entry.data.get(CONF_CA_CERT)},
            ),
            errors=errors,
        )


CONF_FRAME_SEARCHES = "frame_searches"


def _search_query(option: str) -> str | None:
    """Return the query of a smart-search frame option, None for another option."""
    source = FrameSource.parse(option)
    if source is None or source.kind is not FrameKind.SEARCH:
        return None
    return source.value


def _with_unknown(
    options: list[SelectOptionDict], chosen: list[str]
) -> list[SelectOptionDict]:
    """Keep chosen values that can't be listed right now (shown by their id)."""
    known = {option["value"] for option in options}
    return options + [
        SelectOptionDict(value=value, label=value)
        for value in chosen
        if value not in known
    ]


def _percent_slider(low: int, high: int) -> NumberSelector:
    """Return a slider of whole percents."""
    return NumberSelector(
        NumberSelectorConfig(
            min=low,
            max=high,
            step=1,
            unit_of_measurement=PERCENTAGE,
            mode=NumberSelectorMode.SLIDER,
        )
    )


def _multi_select(options: list[SelectOptionDict]) -> SelectSelector:
    """Return a multiple-choice dropdown."""
    return SelectSelector(
        SelectSelectorConfig(
            options=options, multiple=True, mode=SelectSelectorMode.DROPDOWN
        )
    )


class ImmichBridgeOptionsFlow(OptionsFlowWithReload):
    """Choose album sensors, photo-frame sources and the low-disk threshold."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the options form."""
        entry: ImmichBridgeConfigEntry = self.config_entry
        if user_input is not None:
            searches = [
                FrameSource(kind=FrameKind.SEARCH, value=query.strip()).option
                for query in user_input.pop(CONF_FRAME_SEARCHES, [])
                if query.strip()
            ]
            user_input[CONF_FRAMES] = [*user_input.get(CONF_FRAMES, []), *searches]
            return self.async_create_entry(data=user_input)
        if entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="not_loaded")
        runtime = entry.runtime_data
        errors: dict[str, str] = {}
        albums = await self._async_albums(errors)
        people: list[ImmichPerson] = []
        if runtime.server.allowed(Source.PEOPLE):
            try:
                people = list((await runtime.client.people(size=1000)).people)
            except ImmichError as err:
                LOGGER.debug("People could not be listed for the options: %s", err)
        frames: list[str] = list(entry.options.get(CONF_FRAMES, []))
        searches = [q for f in frames if (q := _search_query(f)) is not None]
        chosen_frames = [f for f in frames if _search_query(f) is None]
        labels = await self._async_labels()
        frame_options = [
            *(
                SelectOptionDict(value=kind.value, label=labels[kind])
                for kind in (FrameKind.LIBRARY, FrameKind.FAVORITES, FrameKind.MEMORIES)
            ),
            *(
                SelectOptionDict(
                    value=FrameSource(kind=FrameKind.ALBUM, value=album.id).option,
                    label=f"{labels['album']}: {album.name}",
                )
                for album in albums
            ),
            *(
                SelectOptionDict(
                    value=FrameSource(kind=FrameKind.PERSON, value=person.id).option,
                    label=f"{labels['person']}: {person.name}",
                )
                for person in people
                if person.name
            ),
        ]
        schema = vol.Schema(
            {
                vol.Optional(CONF_ALBUMS, default=[]): _multi_select(
                    _with_unknown(
                        [SelectOptionDict(value=a.id, label=a.name) for a in albums],
                        entry.options.get(CONF_ALBUMS, []),
                    )
                ),
                vol.Optional(CONF_FRAMES, default=[]): _multi_select(
                    _with_unknown(frame_options, chosen_frames)
                ),
                vol.Optional(CONF_FRAME_SEARCHES, default=[]): TextSelector(
                    TextSelectorConfig(multiple=True)
                ),
                vol.Optional(CONF_PEOPLE, default=[]): _multi_select(
                    _with_unknown(
                        [
                            SelectOptionDict(value=ALL_PEOPLE, label=labels["all"]),
                            *(
                                SelectOptionDict(value=person.id, label=person.name)
                                for person in people
                                if person.name
                            ),
                        ],
                        entry.options.get(CONF_PEOPLE, []),
                    )
                ),
                vol.Required(
                    CONF_FRAME_INTERVAL, default=DEFAULT_FRAME_INTERVAL
                ): NumberSelector(
                    NumberSelectorConfig(
                        min=1,
                        max=1440,
                        step=1,
                        unit_of_measurement="min",
                        mode=NumberSelectorMode.BOX,
                    )
                ),
                vol.Required(CONF_FRAME_VIDEOS, default=False): BooleanSelector(),
                vol.Required(
                    CONF_LOW_DISK_THRESHOLD, default=DEFAULT_LOW_DISK_THRESHOLD
                ): _percent_slider(1, 90),
                vol.Required(
                    CONF_QUOTA_THRESHOLD, default=DEFAULT_QUOTA_THRESHOLD
                ): _percent_slider(50, 100),
            }
        )
        suggested = {
            **entry.options,
            CONF_FRAMES: chosen_frames,
            CONF_FRAME_SEARCHES: searches,
        }
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(schema, suggested),
            errors=errors,
        )

    async def _async_albums(self, errors: dict[str, str]) -> list[ImmichAlbum]:
        """List the owned and shared albums by name, filling errors on failure.

        The coordinator keeps only the albums the options name, so ask the server.
        """
        runtime = self.config_entry.runtime_data
        if not runtime.server.allowed(Source.ALBUMS):
            return []
        client: ImmichClient = runtime.client
        try:
            return await client.visible_albums()
        except ImmichPermissionError as err:
            LOGGER.debug("Albums could not be listed for the options: %s", err)
            return []
        except ImmichError as err:
            errors["base"] = error_key(err)
            return []

    async def _async_labels(self) -> dict[str, str]:
        """Return the translated labels of the frame source kinds."""
        translations = await async_get_translations(
            self.hass, self.hass.config.language, "selector", {DOMAIN}
        )
        return {
            kind: translations.get(
                f"component.{DOMAIN}.selector.frame_source.options.{kind}", kind
            )
            for kind in ("library", "favorites", "memories", "album", "person", "all")
        }
