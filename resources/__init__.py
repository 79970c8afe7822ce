"""Static resources: window presets, style sheet, hanging-protocol rules. No code."""
