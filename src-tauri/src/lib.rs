//! The desktop shell: starts the booking server in-process on loopback with
//! a per-launch credential and opens a window on its UI. Everything else,
//! UI included, is the same server `melody serve` runs.

mod logging;
mod options;
mod server;

use tauri::{Manager, WebviewUrl, WebviewWindowBuilder};

pub use options::DeskOptions;

const WINDOW: &str = "main";

/// Runs the app; returns the exit code.
pub fn main() -> std::process::ExitCode {
    prefer_software_rendering();
    if let Err(error) = melody_app::load_dotenv() {
        eprintln!("error: {error:#}");
        return std::process::ExitCode::FAILURE;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|arg| arg == "--help" || arg == "-h") {
        println!("{}", options::USAGE);
        return std::process::ExitCode::SUCCESS;
    }
    let options = match DeskOptions::from_args_and_env(args) {
        Ok(options) => options,
        Err(error) => {
            eprintln!("error: {error:#}\n\n{}", options::USAGE);
            return std::process::ExitCode::FAILURE;
        }
    };
    match run(options) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Turns off WebKitGTK's accelerated compositing and DMA-BUF renderer unless
/// the environment sets them. Measured under Xvfb, the web process then
/// takes 117 MiB instead of 234 MiB (PSS), and the calendar needs no GPU.
/// Setting either variable to 0 restores WebKit's default. Runs before any
/// other thread starts, as changing the environment requires.
fn prefer_software_rendering() {
    #[cfg(target_os = "linux")]
    for name in [
        "WEBKIT_DISABLE_COMPOSITING_MODE",
        "WEBKIT_DISABLE_DMABUF_RENDERER",
    ] {
        if std::env::var_os(name).is_none() {
            std::env::set_var(name, "1");
        }
    }
}

fn run(options: DeskOptions) -> anyhow::Result<()> {
    tauri::Builder::default()
        // NOTE: the plugin keeps one instance per user, not per database: a
        // second launch with another --db focuses the open window instead of
        // opening that database.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| focus_main(app)))
        .setup(move |app| {
            let log_guard = logging::init(&app.path().app_log_dir()?)?;
            app.manage(log_guard);
            let db = match &options.db {
                Some(db) => db.clone(),
                None => app.path().app_data_dir()?.join(melody_app::DB_FILE),
            };
            let running = server::start(&db)?;
            tracing::info!(port = running.addr.port(), database = %db.display(), kiosk = options.kiosk, "desktop app started");
            open_window(app, &running, options.kiosk)?;
            app.manage(running);
            Ok(())
        })
        .run(tauri::generate_context!())?;
    Ok(())
}

fn open_window(app: &tauri::App, running: &server::RunningServer, kiosk: bool) -> anyhow::Result<()> {
    let url = format!("http://{}/", running.addr).parse()?;
    // The UI reads this token and sends it as a bearer credential; no other
    // process learns it.
    let script = format!("window.__MELODY_TOKEN__ = {:?};", running.token);
    WebviewWindowBuilder::new(app, WINDOW, WebviewUrl::External(url))
        .title("MelodyandMeter")
        .inner_size(1366.0, 860.0)
        .min_inner_size(1024.0, 700.0)
        .initialization_script(&script)
        .fullscreen(kiosk)
        .decorations(!kiosk)
        .build()?;
    Ok(())
}

/// Focuses the open window; the single-instance plugin calls it in the first
/// instance when the app is launched again.
fn focus_main(app: &tauri::AppHandle) {
    if let Some(window) = app.get_webview_window(WINDOW) {
        tracing::info!("second launch: focusing the open window");
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}
