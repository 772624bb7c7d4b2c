"""The lab dashboard (ipywidgets): the lab drawn (addresses, bonds and their slaves, the MACs
each switch port has learnt), a plug/unplug button per cable, a button that resets the lab to
how the notebook started it, the bond's /proc/net/bonding text; it redraws whenever the lab
changes, whichever engine runs it, and after a reset follows the lab's new engine.

    labkit.notebook.dashboard.Dashboard(lab)      # or lab.dashboard()

Its labels and buttons speak the lab's language (Lab(locale=...), labkit.i18n).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, TypeVar

import ipywidgets as widgets

from labkit import i18n
from labkit.i18n import _
from labkit.views import diagram

if TYPE_CHECKING:
    from labkit.frontend import LabFrontage
    from labkit.model.snapshot import HostSnapshot

# the lab's own type, so that `setup` may take the Lab the notebook gave (a LabFrontage at least)
L = TypeVar("L", bound="LabFrontage")


class Dashboard(Generic[L]):
    """Widgets showing one lab; `widget` is what a notebook displays.

    `setup(lab)`, when given, is run after the reset button restarted the lab: the steps the
    notebook took after starting it (a bond built), so the lab is as the notebook made it.
    """

    def __init__(self, lab: L, host: str = "server", bond: str = "bond0",
                 setup: Callable[[L], object] | None = None) -> None:
        self.lab = lab
        with i18n.speaking(i18n.of_lab(lab)):
            self._build(lab, host, bond, setup)

    def _build(self, lab: L, host: str, bond: str,
               setup: Callable[[L], object] | None) -> None:
        self.setup = setup  # what the notebook did after starting the lab, redone after a reset
        self.host = host
        self.bond = bond
        self.drawing = widgets.HTML()
        self.bonding = widgets.HTML()
        self.status = widgets.HTML()
        self.note = widgets.HTML()  # what the last reset gave, until the lab changes again
        self._note_kept = False
        # keyed by (host, NIC): the gateway and the outside host each have an eth0
        self.buttons: dict[tuple[str, str], widgets.Button] = {}
        self.button_row = widgets.HBox()
        self.reset_button = widgets.Button(
            description=_("reset lab"), icon="undo", button_style="warning",
            tooltip=_("close the lab and start it again as the notebook started it (what was "
                      "typed into it is lost)"), layout=widgets.Layout(width="auto"))
        self.reset_button.on_click(self._reset)
        self.widget = widgets.VBox([self.drawing, widgets.HBox([self.button_row,
                                                                self.reset_button]),
                                    self.note, self.status, self.bonding])
        lab.on_change(self.refresh)
        self.refresh()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def _snapshots(self) -> dict[str, HostSnapshot]:
        return {h: self.lab.snapshot(h) for h in self.lab.topology.host_names()}

    def refresh(self) -> None:
        """Redraw from the lab as it is now."""
        with i18n.speaking(i18n.of_lab(self.lab)):
            self._redraw()

    def _redraw(self) -> None:
        if not self._note_kept:
            self.note.value = ""
        self._note_kept = False
        if self.lab.engine is None:
            self.status.value = "<i>" + _("the lab is closed") + "</i>"
            return
        snaps = self._snapshots()
        self.drawing.value = diagram.svg(self.lab.topology, snaps)
        cables = diagram.cable_states(self.lab.topology, snaps)
        for cable in cables:
            key = (cable.host, cable.nic)
            button = self.buttons.get(key)
            if button is None:
                button = widgets.Button(layout=widgets.Layout(width="auto"))
                button.on_click(self._toggle(*key))
                self.buttons[key] = button
            where = cable.nic if cable.host == self.host else f"{cable.host} {cable.nic}"
            button.description = (_("unplug {nic}") if cable.plugged else
                                   _("plug {nic}")).format(nic=where)
            button.button_style = "" if cable.plugged else "danger"
        self.button_row.children = tuple(self.buttons[c.host, c.nic] for c in cables)
        active = self._active_in(snaps[self.host])
        self.status.value = _("{bond} active slave: {active}").format(
            bond=f"<b>{html.escape(self.bond)}</b>",
            active=f"<b class='labkit-active'>{html.escape(active or _('(none)'))}</b>")
        try:
            text = self.lab.engine.read_file(self.host, f"/proc/net/bonding/{self.bond}")
        except OSError:
            text = _("(no {bond} on {host} yet)").format(bond=self.bond, host=self.host)
        self.bonding.value = (f"<pre class='labkit-bonding'>{html.escape(text)}</pre>")

    def active_slave(self) -> str | None:
        """The bond's active slave now, or None."""
        return self._active_in(self.lab.snapshot(self.host))

    def _active_in(self, snap: HostSnapshot) -> str | None:
        link = snap.find_link(self.bond)
        return link.bond.active_slave if link is not None and link.bond else None

    def _toggle(self, host: str, nic: str) -> Callable[[widgets.Button], None]:
        def click(_button: widgets.Button) -> None:
            cable = next(c for c in diagram.cable_states(self.lab.topology, self._snapshots())
                         if c.nic == nic and c.host == host)
            if cable.plugged:
                self.lab.unplug(nic, host=host)
            else:
                self.lab.plug(nic, host=host)
            self.lab.sleep(0.5)  # miimon notices, the bond fails over
        return click

    def _reset(self, _button: widgets.Button) -> None:
        """Lab.reset(), then the notebook's setup: this dashboard stays among the lab's
        observers and draws the new lab."""
        with i18n.speaking(i18n.of_lab(self.lab)):
            self.status.value = "<i>" + _("resetting the lab…") + "</i>"
        self.reset_button.disabled = True
        closed = self.lab.engine is None  # close() let go of its observers: watch again
        try:
            self.lab.reset()
            if closed:
                self.lab.on_change(self.refresh)
            if self.setup is not None:
                self.setup(self.lab)
        finally:
            self.reset_button.disabled = False
        with i18n.speaking(i18n.of_lab(self.lab)):
            self.note.value = "<i>" + (
                _("The lab was reset: it is as the notebook made it.")
                if self.setup is not None else
                _("The lab was reset: it is as <code>Lab(...).start()</code> made it. What the "
                  "notebook's cells after that one built (a bond) is gone too: run them "
                  "again.")) + "</i>"
        self._note_kept = True
        self.refresh()
