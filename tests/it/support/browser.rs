//! Debian's chromium, headless, driven over the DevTools protocol: started with the flags a
//! machine without internet needs and a fresh profile; never a downloaded browser. Missing
//! chromium fails the test (CI installs it), it does not skip it.

use std::{
    ffi::OsStr,
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use base64::Engine;
use headless_chrome::{
    Browser, LaunchOptions, Tab,
    protocol::cdp::{Emulation, Page},
};

/// Laptop viewport.
pub const LAPTOP: (u32, u32) = (1366, 900);
/// Phone viewport (CSS pixels).
pub const PHONE: (u32, u32) = (390, 844);

/// `$CHROME`, else Debian's `/usr/bin/chromium`.
pub fn chromium_path() -> PathBuf {
    let path = std::env::var_os("CHROME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        path.exists(),
        "chromium not found at {}: the page tests need a real browser. Install Debian's \
         chromium (`apt-get install chromium`, as .ci/test does) or set CHROME to one.",
        path.display()
    );
    path
}

/// A running headless chromium with its own throwaway profile.
pub struct Chromium {
    browser: Browser,
    _profile: tempfile::TempDir,
}

impl Chromium {
    pub fn launch() -> Chromium {
        let profile = tempfile::tempdir().expect("profile dir");
        let flags = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
        ];
        let options = LaunchOptions::default_builder()
            .path(Some(chromium_path()))
            .headless(true)
            .sandbox(false)
            .window_size(Some(LAPTOP))
            .user_data_dir(Some(profile.path().to_path_buf()))
            .args(flags.iter().map(OsStr::new).collect())
            .idle_browser_timeout(Duration::from_secs(180))
            .build()
            .expect("launch options");
        let browser = Browser::new(options).unwrap_or_else(|error| {
            panic!(
                "cannot start chromium at {}: {error:#}",
                chromium_path().display()
            )
        });
        Chromium {
            browser,
            _profile: profile,
        }
    }

    /// A new tab at the laptop size.
    pub fn tab(&self) -> Arc<Tab> {
        let tab = self.browser.new_tab().expect("new tab");
        tab.set_default_timeout(Duration::from_secs(20));
        resize(&tab, LAPTOP, false);
        tab
    }
}

/// Emulates a viewport of `size` CSS pixels (a phone's with touch and a mobile viewport).
pub fn resize(tab: &Tab, (width, height): (u32, u32), mobile: bool) {
    tab.call_method(Emulation::SetDeviceMetricsOverride {
        width,
        height,
        device_scale_factor: 1.0,
        mobile,
        scale: None,
        screen_width: None,
        screen_height: None,
        position_x: None,
        position_y: None,
        dont_set_visible_size: None,
        screen_orientation: None,
        viewport: None,
        display_feature: None,
        device_posture: None,
    })
    .expect("viewport size");
}

/// Opens `url` and waits for the page to have loaded.
pub fn open(tab: &Tab, url: &str) {
    tab.navigate_to(url).expect("navigate");
    tab.wait_until_navigated().expect("page loads");
}

/// A JavaScript expression's value, as JSON (the expression is wrapped in `JSON.stringify`).
pub fn eval(tab: &Tab, expression: &str) -> serde_json::Value {
    let wrapped = format!("JSON.stringify(({expression}))");
    let result = tab.evaluate(&wrapped, false).expect("evaluate");
    let text = result
        .value
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "null".to_string());
    serde_json::from_str(&text).expect("JSON")
}

/// What a person sees of the element `selector` (its `innerText`).
pub fn visible_text(tab: &Tab, selector: &str) -> String {
    let selector = serde_json::to_string(selector).expect("selector");
    match eval(
        tab,
        &format!("document.querySelector({selector})?.innerText ?? null"),
    ) {
        serde_json::Value::String(text) => text,
        _ => panic!("no element {selector} on {}", tab.get_url()),
    }
}

/// Where screenshots go for review: `target/screenshots/`.
pub fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("target dir")
        .join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

/// Saves the whole page (not only the viewport) as a PNG; returns its path.
pub fn screenshot(tab: &Tab, name: &str) -> PathBuf {
    let width = eval(tab, "document.documentElement.scrollWidth")
        .as_f64()
        .unwrap_or(1366.0);
    let height = eval(tab, "document.documentElement.scrollHeight")
        .as_f64()
        .unwrap_or(900.0);
    let shot = tab
        .call_method(Page::CaptureScreenshot {
            format: Some(Page::CaptureScreenshotFormatOption::Png),
            quality: None,
            clip: Some(Page::Viewport {
                x: 0.0,
                y: 0.0,
                width,
                height,
                scale: 1.0,
            }),
            from_surface: Some(true),
            capture_beyond_viewport: Some(true),
            optimize_for_speed: None,
        })
        .expect("screenshot");
    let png = base64::engine::general_purpose::STANDARD
        .decode(shot.data)
        .expect("base64 PNG");
    let path = screenshot_dir().join(name);
    std::fs::write(&path, png).expect("write screenshot");
    path
}
