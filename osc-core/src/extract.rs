//! Typed extraction: turning arguments into Rust values with clear errors.
//!
//! [`Message::get`](crate::Message::get) takes a tuple of [`FromArg`] types and checks the count and every
//! type in one call.

use crate::error::ArgError;
use crate::timetag::TimeTag;
use crate::types::{Arg, ArgIter, Args, Color, Midi};

/// A Rust type that one argument converts to.
///
/// Conversions are exact: an `i` is not silently turned into an `f32`. Use [`Arg`] to accept any type.
///
/// ```
/// use osc_core::{Arg, FromArg};
/// assert_eq!(i32::from_arg(Arg::Int(7), 0), Ok(7));
/// assert!(i32::from_arg(Arg::Long(7), 0).is_err());
/// assert_eq!(bool::from_arg(Arg::Bool(false), 0), Ok(false));
/// ```
pub trait FromArg<'a>: Sized {
    /// What this type expects, for error messages (e.g. `"int32 (i)"`).
    const EXPECTED: &'static str;

    /// Converts the argument at position `index`.
    fn from_arg(arg: Arg<'a>, index: usize) -> Result<Self, ArgError>;

    /// Not part of the API (its value may change in any release): the one type tag (`i`, `f`, `s`
    /// for `s` and `S`, `b`) that [`Message::get`](crate::Message::get) reads this type from
    /// directly with the `small` feature, or `0` to read any argument and convert it.
    #[doc(hidden)]
    const WIRE: u8 = 0;
}

macro_rules! from_arg {
    ($($t:ty, $expected:literal, $wire:literal, $pat:pat => $v:expr;)*) => {$(
        impl<'a> FromArg<'a> for $t {
            const EXPECTED: &'static str = $expected;
            const WIRE: u8 = $wire;
            #[inline]
            fn from_arg(arg: Arg<'a>, index: usize) -> Result<Self, ArgError> {
                match arg {
                    $pat => Ok($v),
                    other => Err(mismatch(&other, index, Self::EXPECTED)),
                }
            }
        }
    )*};
}

from_arg! {
    i32, "int32 (i)", b'i', Arg::Int(v) => v;
    f32, "float32 (f)", b'f', Arg::Float(v) => v;
    &'a str, "string (s) or symbol (S)", b's', Arg::String(v) | Arg::Symbol(v) => v;
    &'a [u8], "blob (b)", b'b', Arg::Blob(v) => v;
    i64, "int64 (h)", 0, Arg::Long(v) => v;
    f64, "float64 (d)", 0, Arg::Double(v) => v;
    TimeTag, "timetag (t)", 0, Arg::Time(v) => v;
    char, "char (c)", 0, Arg::Char(v) => v;
    Color, "color (r)", 0, Arg::Color(v) => v;
    Midi, "midi (m)", 0, Arg::Midi(v) => v;
    bool, "true (T) or false (F)", 0, Arg::Bool(v) => v;
    Args<'a>, "array ([)", 0, Arg::Array(v) => v;
    (), "nil (N)", 0, Arg::Nil => ();
}

impl<'a> FromArg<'a> for Arg<'a> {
    const EXPECTED: &'static str = "any argument";
    fn from_arg(arg: Arg<'a>, _index: usize) -> Result<Self, ArgError> {
        Ok(arg)
    }
}

/// `Option<T>` reads `N` (nil) as `None` and anything else as `T`.
impl<'a, T: FromArg<'a>> FromArg<'a> for Option<T> {
    const EXPECTED: &'static str = T::EXPECTED;
    fn from_arg(arg: Arg<'a>, index: usize) -> Result<Self, ArgError> {
        match arg {
            Arg::Nil => Ok(None),
            other => T::from_arg(other, index).map(Some),
        }
    }
}

/// A number read from any numeric argument (`i`, `h`, `f` or `d`), converted to `T` with Rust's `as`.
///
/// [`FromArg`] is exact; `Num` is for senders that do not say which number type they mean: many control
/// surfaces (TouchOSC, Lemur, Max's default) send every number as a float, others send integers where a
/// float is expected. A float becomes an integer by truncating toward zero and saturating at the type's
/// bounds (NaN becomes 0); a 64-bit value becomes a 32-bit one as `as` does (an `i64` wraps, an `f64`
/// rounds). Any other argument is a type mismatch.
///
/// ```
/// use osc_core::{Arg, Message, Num};
/// let m = Message::new("/fader/1", &[Arg::Float(127.9), Arg::Int(3)]);
/// let (Num(level), Num(gain)) = m.get::<(Num<i32>, Num<f32>)>()?;
/// assert_eq!((level, gain), (127, 3.0));
/// assert!(m.get::<(i32, f32)>().is_err()); // the exact types
/// # Ok::<(), osc_core::ArgError>(())
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq, PartialOrd)]
pub struct Num<T>(pub T);

macro_rules! num {
    ($($t:ty)*) => {$(
        impl<'a> FromArg<'a> for Num<$t> {
            const EXPECTED: &'static str = "a number (i, h, f or d)";
            #[allow(clippy::unnecessary_cast)]
            fn from_arg(arg: Arg<'a>, index: usize) -> Result<Self, ArgError> {
                match arg {
                    Arg::Int(v) => Ok(Num(v as $t)),
                    Arg::Long(v) => Ok(Num(v as $t)),
                    Arg::Float(v) => Ok(Num(v as $t)),
                    Arg::Double(v) => Ok(Num(v as $t)),
                    other => Err(mismatch(&other, index, Self::EXPECTED)),
                }
            }
        }
    )*};
}

num!(i32 i64 f32 f64);

/// The error for an argument of the wrong type. Out of line and shared by every [`FromArg`] impl.
#[cold]
#[inline(never)]
pub(crate) fn mismatch(arg: &Arg<'_>, index: usize, expected: &'static str) -> ArgError {
    ArgError::TypeMismatch {
        index,
        expected,
        found: arg.type_tag(),
    }
}

/// Takes argument `index` off `it`. The one non-generic step of every tuple impl of [`FromArgs`], so that
/// each `Message::get::<(..)>` instance shares one copy of the argument reader instead of inlining it
/// once per element (which matters at opt-level `"z"`; at `-O3` LLVM may still inline it).
#[inline(never)]
pub(crate) fn next_arg<'a>(it: &mut ArgIter<'a>, index: usize) -> Result<Arg<'a>, ArgError> {
    it.next().ok_or(ArgError::Missing { index })
}

/// Takes argument `index` off `it` as a `T`: one instance per argument type, shared by every tuple that
/// holds that type (the argument, a 16-byte enum, then never travels through the caller).
#[inline]
fn take<'a, T: FromArg<'a>>(it: &mut ArgIter<'a>, index: usize) -> Result<T, ArgError> {
    if cfg!(feature = "small") {
        // One arm is left for each `T`, and the conversion of the argument made here folds away.
        let (want, expected) = (T::WIRE, T::EXPECTED);
        let arg = match want {
            b'i' => Arg::Int(it.take_word(index, want, expected)? as i32),
            b'f' => Arg::Float(f32::from_bits(it.take_word(index, want, expected)?)),
            b'b' => Arg::Blob(it.take_data(index, want, expected)?),
            b's' => {
                let bytes = it.take_data(index, want, expected)?;
                // Validated when the message was decoded or built.
                Arg::String(core::str::from_utf8(bytes).unwrap_or_default())
            }
            _ => next_arg(it, index)?,
        };
        return T::from_arg(arg, index);
    }
    T::from_arg(next_arg(it, index)?, index)
}

/// A tuple of [`FromArg`] types: the arguments of a message, taken in order.
pub trait FromArgs<'a>: Sized {
    /// How many arguments the tuple takes.
    const COUNT: usize;

    /// Takes `COUNT` arguments from `it`.
    fn from_args(it: &mut ArgIter<'a>) -> Result<Self, ArgError>;
}

macro_rules! from_args {
    ($n:expr; $($t:ident $i:tt),*) => {
        impl<'a, $($t: FromArg<'a>),*> FromArgs<'a> for ($($t,)*) {
            const COUNT: usize = $n;
            #[inline]
            fn from_args(it: &mut ArgIter<'a>) -> Result<Self, ArgError> {
                Ok(($(
                    take::<$t>(it, $i)?,
                )*))
            }
        }
    };
}

impl<'a> FromArgs<'a> for () {
    const COUNT: usize = 0;
    fn from_args(_: &mut ArgIter<'a>) -> Result<Self, ArgError> {
        Ok(())
    }
}

from_args!(1; A 0);
from_args!(2; A 0, B 1);
from_args!(3; A 0, B 1, C 2);
from_args!(4; A 0, B 1, C 2, D 3);
from_args!(5; A 0, B 1, C 2, D 3, E 4);
from_args!(6; A 0, B 1, C 2, D 3, E 4, F 5);
from_args!(7; A 0, B 1, C 2, D 3, E 4, F 5, G 6);
from_args!(8; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
from_args!(9; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
from_args!(10; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
from_args!(11; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
from_args!(12; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);

#[cfg(test)]
mod tests {
    extern crate std;

    use super::{next_arg, FromArg};
    use crate::{Arg, ArgError, ArgIter, Args, Color, Message, TypeTag};
    use std::vec::Vec;

    /// Takes argument `index` as a `T` both ways: through `take_word` or `take_data` (what `small`
    /// does for the types with a `WIRE` tag) and by converting any argument; same result, same
    /// arguments left.
    fn same_take<'a, T: FromArg<'a> + PartialEq + core::fmt::Debug>(
        it: &ArgIter<'a>,
        index: usize,
    ) {
        let (mut a, mut b) = (it.clone(), it.clone());
        let typed = match T::WIRE {
            b'i' => a
                .take_word(index, T::WIRE, T::EXPECTED)
                .map(|w| Arg::Int(w as i32)),
            b'f' => a
                .take_word(index, T::WIRE, T::EXPECTED)
                .map(|w| Arg::Float(f32::from_bits(w))),
            b'b' => a.take_data(index, T::WIRE, T::EXPECTED).map(Arg::Blob),
            _ => a
                .take_data(index, T::WIRE, T::EXPECTED)
                .map(|b| Arg::String(core::str::from_utf8(b).unwrap())),
        }
        .and_then(|arg| T::from_arg(arg, index));
        let any = next_arg(&mut b, index).and_then(|arg| T::from_arg(arg, index));
        assert_eq!(typed, any, "{index} {}", T::EXPECTED);
        if any.is_ok() {
            assert_eq!(a.collect::<Vec<_>>(), b.collect::<Vec<_>>());
        }
    }

    /// `take_word` and `take_data` agree with taking any argument and converting it, for every type that has a
    /// `WIRE` tag, at every position of decoded and of built messages of every argument type.
    #[test]
    fn typed_take_agrees() {
        let nested = [Arg::Int(4), Arg::Blob(b"z")];
        let args = [
            Arg::Int(-5),
            Arg::Float(0.5),
            Arg::String("h\u{e9}llo"),
            Arg::Symbol("sym"),
            Arg::Blob(&[1, 2, 3, 4, 5]),
            Arg::Blob(&[]),
            Arg::String(""),
            Arg::Long(-7),
            Arg::Double(2.5),
            Arg::Char('x'),
            Arg::Color(Color::from_u32(7)),
            Arg::Bool(true),
            Arg::Bool(false),
            Arg::Nil,
            Arg::Impulse,
            Arg::Array(Args::from_slice(&nested)),
            Arg::Int(9),
        ];
        const { assert!(<i64 as FromArg<'_>>::WIRE == 0 && <bool as FromArg<'_>>::WIRE == 0) };
        let mut buf = [0u8; 512];
        let n = Message::new("/t", &args).encode(&mut buf).unwrap();
        let decoded = crate::decode(&buf[..n]).unwrap().into_message().unwrap();
        let built = Message::new("/t", &args);
        for m in [decoded, built] {
            let mut it = m.args().iter();
            for index in 0..=args.len() {
                same_take::<i32>(&it, index);
                same_take::<f32>(&it, index);
                same_take::<&str>(&it, index);
                same_take::<&[u8]>(&it, index);
                it.next();
            }
        }
    }

    #[test]
    fn numbers_of_any_type() {
        use super::Num;
        let int = |a| Num::<i32>::from_arg(a, 0).map(|n| n.0);
        let long = |a| Num::<i64>::from_arg(a, 0).map(|n| n.0);
        let float = |a| Num::<f32>::from_arg(a, 0).map(|n| n.0);
        let double = |a| Num::<f64>::from_arg(a, 0).map(|n| n.0);
        assert_eq!(int(Arg::Int(-7)), Ok(-7));
        assert_eq!(int(Arg::Long((1 << 40) + 5)), Ok(5));
        assert_eq!(int(Arg::Float(-2.9)), Ok(-2));
        assert_eq!(int(Arg::Double(1e300)), Ok(i32::MAX));
        assert_eq!(long(Arg::Float(f32::NAN)), Ok(0));
        assert_eq!(long(Arg::Long(1 << 40)), Ok(1 << 40));
        assert_eq!(float(Arg::Int(-7)), Ok(-7.0));
        assert_eq!(float(Arg::Double(1e300)), Ok(f32::INFINITY));
        assert_eq!(double(Arg::Float(-2.5)), Ok(-2.5));
        let m = Message::new("/n", &[Arg::Int(1), Arg::Double(0.5), Arg::String("7")]);
        assert_eq!(
            m.get_prefix::<(Num<f32>, Num<i32>)>(),
            Ok((Num(1.0), Num(0)))
        );
        assert_eq!(
            m.get::<(Num<i32>, Num<i32>, Num<i32>)>(),
            Err(ArgError::TypeMismatch {
                index: 2,
                expected: "a number (i, h, f or d)",
                found: TypeTag::String
            })
        );
    }

    #[test]
    fn extraction() {
        let inner = [Arg::Int(1), Arg::Int(2)];
        let args = [
            Arg::Int(1),
            Arg::String("x"),
            Arg::Nil,
            Arg::Double(2.5),
            Arg::Array(crate::Args::from_slice(&inner)),
        ];
        let m = Message::new("/m", &args);
        let (a, b, c, d, e): (i32, &str, Option<i32>, f64, crate::Args<'_>) = m.get().unwrap();
        assert_eq!((a, b, c, d), (1, "x", None, 2.5));
        assert_eq!(e.len(), 2);
        assert_eq!(m.get_prefix::<(i32,)>(), Ok((1,)));
        assert_eq!(
            m.get::<(i32, i32)>(),
            Err(ArgError::TypeMismatch {
                index: 1,
                expected: "int32 (i)",
                found: TypeTag::String
            })
        );
        let short = Message::new("/m", &args[..1]);
        assert_eq!(
            short.get::<(i32, f32)>(),
            Err(ArgError::Missing { index: 1 })
        );
    }
}
