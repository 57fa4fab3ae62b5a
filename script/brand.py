"""Draw the brand images (icon, logo) into custom_components/immich_bridge/brand/."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

BRAND = Path(__file__).parents[1] / "custom_components" / "immich_bridge" / "brand"
PETALS = ("#fa2921", "#ed79b5", "#ffb400", "#1e83f7", "#18c249")


def flower(size: int) -> Image.Image:
    """Return a five-petal pinwheel with a house roof on a transparent square."""
    scale = 4
    big = size * scale
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    center = big / 2
    for index, color in enumerate(PETALS):
        petal = Image.new("RGBA", (big, big), (0, 0, 0, 0))
        draw = ImageDraw.Draw(petal)
        w, h = big * 0.22, big * 0.40
        draw.ellipse(
            (
                center - w / 2,
                center - h - big * 0.02,
                center + w / 2,
                center - big * 0.02,
            ),
            fill=color,
        )
        petal = petal.rotate(-72 * index, center=(center, center))
        image = Image.alpha_composite(image, petal)
    draw = ImageDraw.Draw(image)
    r = big * 0.13
    draw.ellipse((center - r, center - r, center + r, center + r), fill="#ffffff")
    roof = [
        (center - r * 0.7, center + r * 0.15),
        (center, center - r * 0.6),
        (center + r * 0.7, center + r * 0.15),
    ]
    draw.line(roof, fill="#41a6f5", width=max(2, int(big * 0.02)), joint="curve")
    return image.resize((size, size), Image.Resampling.LANCZOS)


def logo(height: int, text_color: str) -> Image.Image:
    """Return the icon followed by the name."""
    icon = flower(height)
    font = ImageFont.load_default(size=int(height * 0.42))
    text = "Immich Bridge"
    probe = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
    left, top, right, bottom = probe.textbbox((0, 0), text, font=font)
    width = height + int(height * 0.15) + (right - left)
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    image.paste(icon, (0, 0), icon)
    draw = ImageDraw.Draw(image)
    y = (height - (bottom - top)) / 2 - top
    draw.text((height + int(height * 0.15), y), text, font=font, fill=text_color)
    return image


def main() -> None:
    """Write every brand image."""
    BRAND.mkdir(parents=True, exist_ok=True)
    flower(256).save(BRAND / "icon.png")
    flower(512).save(BRAND / "icon@2x.png")
    logo(256, "#1f2937").save(BRAND / "logo.png")
    logo(512, "#1f2937").save(BRAND / "logo@2x.png")
    logo(256, "#f3f4f6").save(BRAND / "dark_logo.png")
    logo(512, "#f3f4f6").save(BRAND / "dark_logo@2x.png")


if __name__ == "__main__":
    main()
