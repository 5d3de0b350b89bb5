//! QR images of a container's URL, as SVG for labels and pages and PNG for everything else.

use qrcode::render::svg;
use qrcode::{Color, EcLevel, QrCode};

/// Modules of white margin around the code, as the standard asks.
const QUIET_ZONE: usize = 4;
/// Pixels per module in the PNG.
const PNG_SCALE: usize = 8;

fn encode(text: &str) -> anyhow::Result<QrCode> {
    // Level M survives a scratched or stained label without making the code much denser.
    QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| anyhow::anyhow!("cannot encode {text:?} as a QR code: {e}"))
}

pub fn svg(text: &str) -> anyhow::Result<String> {
    Ok(encode(text)?
        .render::<svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build())
}

pub fn png(text: &str) -> anyhow::Result<Vec<u8>> {
    let code = encode(text)?;
    let width = code.width();
    let colors = code.to_colors();
    let side = (width + 2 * QUIET_ZONE) * PNG_SCALE;
    let mut pixels = vec![255u8; side * side];
    for (i, color) in colors.iter().enumerate() {
        if *color != Color::Dark {
            continue;
        }
        let (mx, my) = (i % width + QUIET_ZONE, i / width + QUIET_ZONE);
        for dy in 0..PNG_SCALE {
            let row = (my * PNG_SCALE + dy) * side;
            let start = row + mx * PNG_SCALE;
            pixels[start..start + PNG_SCALE].fill(0);
        }
    }
    let mut out = Vec::new();
    {
        let side = u32::try_from(side)?;
        let mut encoder = png::Encoder::new(&mut out, side, side);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&pixels)?;
    }
    Ok(out)
}
