# Sourced by the *_screenshot.sh scripts: the real window under Xvfb over a copy of the fixtures
# vault, in the UI language $LANG_, the app home linked to $MODELS when set. Sets OUT, VAULT,
# STUDYLOG_HOME, XPID, APID and WID; the caller ends with `kill $APID; sleep 2; kill $XPID`.
# usage: LANG_=ko|en; source tests/gui/xvfb_window.sh OUTDIR PREFIX
mkdir -p "$1"; OUT=$(cd "$1" && pwd)
export STUDYLOG_HOME=$(mktemp -d /tmp/$2-home.XXXX)
[ -n "${MODELS:-}" ] && ln -s "$MODELS" $STUDYLOG_HOME/models
VAULT=$(mktemp -d /tmp/$2-vault.XXXX); HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cp -r "${FIXTURES:-$HERE/../../../shared/fixtures}/vault/." $VAULT/
cat > $STUDYLOG_HOME/settings.toml <<T
schema_version = 1
ui_language = "$LANG_"
theme = "light"
T
cd "$HERE/../.."
DISP=:$((90 + RANDOM % 9))
Xvfb $DISP -screen 0 1440x900x24 >/dev/null 2>&1 & XPID=$!
sleep 1
export DISPLAY=$DISP
PYTHONPATH=$PWD ${PYTHON:-python} -m studylog gui --vault $VAULT > $OUT/app-$LANG_.log 2>&1 & APID=$!
sleep 14
WID=$(xdotool search --name StudyLog | head -1)
xdotool windowsize $WID 1440 900; xdotool windowmove $WID 0 0; xdotool windowactivate $WID 2>/dev/null; xdotool windowfocus $WID
sleep 1
