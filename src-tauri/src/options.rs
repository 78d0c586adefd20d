//! Command-line options of the desktop app.

use std::path::PathBuf;

use anyhow::bail;

pub const USAGE: &str = "usage: melody-desk [--kiosk] [--db PATH]\n\
    --kiosk     full screen without window decorations (also MELODY_KIOSK=1)\n\
    --db PATH   SQLite database file (also MELODY_DB); default: melody.db in the app-data folder";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeskOptions {
    pub kiosk: bool,
    pub db: Option<PathBuf>,
}

impl DeskOptions {
    /// Reads `--kiosk` and `--db PATH`, then `MELODY_KIOSK` and `MELODY_DB`
    /// for what the arguments leave unset.
    ///
    /// # Errors
    /// An unknown argument, a `--db` without a path, or a `MELODY_KIOSK` that
    /// is not 0, 1, true or false.
    pub fn from_args_and_env(args: impl IntoIterator<Item = String>) -> anyhow::Result<Self> {
        let mut options = Self::default();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--kiosk" => options.kiosk = true,
                "--db" => match args.next() {
                    Some(path) => options.db = Some(PathBuf::from(path)),
                    None => bail!("--db needs a path"),
                },
                other => bail!("unknown argument {other:?}"),
            }
        }
        if !options.kiosk {
            options.kiosk = match std::env::var("MELODY_KIOSK").as_deref() {
                Ok("1" | "true") => true,
                Ok("0" | "false" | "") | Err(_) => false,
                Ok(other) => bail!("MELODY_KIOSK {other:?} is invalid: use 1 or 0"),
            };
        }
        if options.db.is_none() {
            options.db = std::env::var_os("MELODY_DB")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from);
        }
        Ok(options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> anyhow::Result<DeskOptions> {
        DeskOptions::from_args_and_env(args.iter().map(ToString::to_string))
    }

    #[test]
    fn kiosk_and_db_flags() {
        let options = parse(&["--kiosk", "--db", "/tmp/x.db"]).unwrap();
        assert!(options.kiosk);
        assert_eq!(options.db, Some(PathBuf::from("/tmp/x.db")));
    }

    #[test]
    fn bad_arguments_rejected() {
        assert!(parse(&["--db"]).is_err());
        assert!(parse(&["--full"]).is_err());
    }
}
