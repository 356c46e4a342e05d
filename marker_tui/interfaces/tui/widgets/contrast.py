"""A high-contrast theme a learner can switch to (an access need), and back.

White on black (near-black panels), yellow for focus and highlights, a dark
blue for the current question when the list is not focused, reversed text on
the focused button: every colour pair used on the learner's screens has a
contrast ratio of at least 7:1.
"""

from __future__ import annotations

from textual.app import App
from textual.theme import Theme

HIGH_CONTRAST = "marker-high-contrast"

HIGH_CONTRAST_THEME = Theme(
    name=HIGH_CONTRAST,
    primary="#ffff00",
    secondary="#00ffff",
    accent="#ffff00",
    warning="#ffff00",
    error="#ff6060",
    success="#00ff00",
    foreground="#ffffff",
    background="#000000",
    surface="#121212",
    panel="#121212",
    boost="#000000",
    dark=True,
    luminosity_spread=0.15,
    text_alpha=1.0,
    variables={
        "text-muted": "#ffffff",
        "text-disabled": "#c0c0c0",
        "text-primary": "#ffff00",
        "text-secondary": "#00ffff",
        "text-accent": "#ffff00",
        "text-warning": "#ffff00",
        "text-error": "#ff6060",
        "text-success": "#00ff00",
        "foreground-muted": "#ffffff",
        "surface-active": "#333333",
        "border": "#ffffff",
        "border-blurred": "#c0c0c0",
        "footer-background": "#000000",
        "footer-foreground": "#ffffff",
        "footer-key-foreground": "#ffff00",
        "footer-description-foreground": "#ffffff",
        "input-cursor-background": "#ffff00",
        "input-cursor-foreground": "#000000",
        "input-selection-background": "#ffff00 60%",
        "block-cursor-background": "#ffff00",
        "block-cursor-foreground": "#000000",
        "block-cursor-text-style": "bold",
        "block-cursor-blurred-background": "#1c1c8c",
        "block-cursor-blurred-foreground": "#ffffff",
        "block-hover-background": "#333333",
        "scrollbar": "#ffffff",
        "scrollbar-hover": "#ffff00",
        "scrollbar-active": "#ffff00",
        "scrollbar-background": "#000000",
        "button-foreground": "#ffffff",
        "button-color-foreground": "#000000",
        "button-focus-text-style": "bold reverse",
        "primary-muted": "#ffff00",
        "secondary-muted": "#00ffff",
        "accent-muted": "#ffff00",
        "warning-muted": "#ffff00",
        "error-muted": "#ff6060",
        "success-muted": "#00ff00",
    },
)


def ensure_registered(app: App) -> None:
    if HIGH_CONTRAST not in app.available_themes:
        app.register_theme(HIGH_CONTRAST_THEME)


def toggle_high_contrast(app: App) -> bool:
    """Switch to the high-contrast theme, or back to the one before. True if now high contrast."""
    ensure_registered(app)
    if app.theme == HIGH_CONTRAST:
        app.theme = getattr(app, "_theme_before_contrast", None) or "textual-dark"
        return False
    app._theme_before_contrast = app.theme
    app.theme = HIGH_CONTRAST
    return True
