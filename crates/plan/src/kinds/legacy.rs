//! Kinds whose spec is still JSON built by hand: a marker with the kind's metadata each, until
//! the kind gets a module of its own with a typed spec (issue "One home per resource kind").

use super::{Kind, KindMeta, Scope};

macro_rules! legacy {
    ($($name:ident: $prefix:literal, rank $rank:literal, $scope:ident $(, $report:literal)?;)*) => {
        $(
            #[doc = concat!("The `", $prefix, "` kind, not yet on a typed spec.")]
            pub(crate) struct $name;

            impl KindMeta for $name {
                const KIND: Kind = Kind::$name;
                const PREFIX: &'static str = $prefix;
                const RANK: usize = $rank;
                const SCOPE: Scope = Scope::$scope;
                $(const REPORT_ONLY: bool = $report;)?
            }
        )*
    };
}

legacy! {
    PasswordPolicy: "password-policy", rank 0, Account;
    ManagedPolicy: "iam-policy", rank 1, Account;
    Group: "iam-group", rank 2, Account;
    User: "iam-user", rank 3, Account;
    Role: "iam-role", rank 1, Account;
    InstanceProfile: "instance-profile", rank 2, Account;
    AccessRole: "access-role", rank 0, Account, true;
}
