//! Start-up shared by `melody serve` and the desktop app: configuration from
//! the environment, the admin key, and running the server with its optional
//! admin listener.

pub mod config;
pub mod secrets;
pub mod server;
pub mod stripe;

pub use config::{
    default_db_path, init_logging, load_dotenv, settings_from_env, Config, APP_FOLDER, DB_FILE,
};
pub use server::{open_store, run_server};
