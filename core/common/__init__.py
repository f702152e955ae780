"""Small pieces shared by every core area and plugin."""
