; Windows installer of Guopei Desk (国培桌面端), built by installer/build-windows.ps1:
;   makensis /DVERSION=0.1.0.0 /DPAYLOAD=<dist\guopei-desk> /DOUTFILE=<setup.exe> installer\guopei-desk.nsi
;
; - Chinese installer UI.
; - Per user, no administrator rights (county PCs are often locked down): the program goes to
;   %LOCALAPPDATA%\Programs\GuopeiDesk, shortcuts to the user's Start menu and desktop, the uninstall
;   entry to HKCU.
; - The county's data lives elsewhere (%LOCALAPPDATA%\GuopeiDesk: database, backups, logs) and is never
;   touched: neither by installing a new version over an old one nor by uninstalling. The uninstaller
;   removes only the files this installer puts in place.
; - An update is this same installer, run over the installed version (from a USB stick): it replaces
;   the program folder and keeps the data.

Unicode true
ManifestDPIAware true
SetCompressor /SOLID lzma

!ifndef VERSION
  !define VERSION "0.1.0.0"          ; four numbers, for the version resource
!endif
!ifndef PAYLOAD
  !define PAYLOAD "../dist/guopei-desk" ; the PyInstaller folder (guopei-desk.exe, GuopeiDesk.exe, _internal)
!endif
!ifndef OUTFILE
  !define OUTFILE "../dist/guopei-desk-${VERSION}-setup.exe"
!endif

!define APP_NAME "国培桌面端"
!define APP_ID "GuopeiDesk"
!define GUI_EXE "GuopeiDesk.exe"      ; no console window: what the shortcuts open
!define CLI_EXE "guopei-desk.exe"     ; the command, for scripts and support staff
!define PUBLISHER "国培桌面端项目组"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APP_ID}"
!define DATA_FOLDER "$LOCALAPPDATA\${APP_ID}"  ; platformdirs.user_data_dir("GuopeiDesk") on Windows

Name "${APP_NAME}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\${APP_ID}"
InstallDirRegKey HKCU "${UNINSTALL_KEY}" "InstallLocation"
RequestExecutionLevel user
BrandingText "${APP_NAME} ${VERSION}"

VIProductVersion "${VERSION}"
VIAddVersionKey /LANG=2052 "ProductName" "${APP_NAME}"
VIAddVersionKey /LANG=2052 "FileDescription" "${APP_NAME} 安装程序"
VIAddVersionKey /LANG=2052 "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=2052 "LegalCopyright" "${PUBLISHER}"
VIAddVersionKey /LANG=2052 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=2052 "ProductVersion" "${VERSION}"

!include "MUI2.nsh"
!include "FileFunc.nsh"
!include "LogicLib.nsh"

!define MUI_ICON "../resources/icons/guopei-desk.ico"
!define MUI_UNICON "../resources/icons/guopei-desk.ico"
!define MUI_ABORTWARNING
!define MUI_WELCOMEPAGE_TEXT "本向导将为当前用户安装 ${APP_NAME} ${VERSION}，不需要管理员权限。$\r$\n$\r$\n本县的数据（数据库、备份、日志）保存在 ${DATA_FOLDER}，安装新版本或卸载程序都不会删除它们。$\r$\n$\r$\n如果 ${APP_NAME} 正在运行，请先关闭它。"
!define MUI_FINISHPAGE_RUN "$INSTDIR\${GUI_EXE}"
!define MUI_FINISHPAGE_RUN_TEXT "立即运行 ${APP_NAME}"

!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH

!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES

!insertmacro MUI_LANGUAGE "SimpChinese"

; The running program keeps its executable open; Windows refuses to replace or delete it then.
!macro WaitUntilClosed
  ${Do}
    ClearErrors
    ${If} ${FileExists} "$INSTDIR\${GUI_EXE}"
      FileOpen $0 "$INSTDIR\${GUI_EXE}" a
      ${IfNot} ${Errors}
        FileClose $0
      ${EndIf}
    ${EndIf}
    ${IfNot} ${Errors}
      ${ExitDo}
    ${EndIf}
    MessageBox MB_RETRYCANCEL|MB_ICONEXCLAMATION "${APP_NAME} 正在运行。请先关闭它（保存好正在做的工作），再点“重试”。" /SD IDCANCEL IDRETRY +2
    Abort
  ${Loop}
!macroend

; The program folder must not be the data folder, nor a folder that holds a county's database:
; uninstalling empties the program folder.
Function .onVerifyInstDir
  ${If} "$INSTDIR" == "${DATA_FOLDER}"
  ${OrIf} ${FileExists} "$INSTDIR\guopei.sqlite3"
    Abort
  ${EndIf}
FunctionEnd

Section "${APP_NAME}" SecMain
  SectionIn RO
  SetShellVarContext current
  !insertmacro WaitUntilClosed
  SetOutPath "$INSTDIR"
  ; The previous version's libraries go first: a module left over from it could be loaded by this one.
  RMDir /r "$INSTDIR\_internal"
  File "${PAYLOAD}/${GUI_EXE}"
  File "${PAYLOAD}/${CLI_EXE}"
  File /r "${PAYLOAD}/_internal"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  CreateDirectory "$SMPROGRAMS\${APP_NAME}"
  CreateShortcut "$SMPROGRAMS\${APP_NAME}\${APP_NAME}.lnk" "$INSTDIR\${GUI_EXE}" "" "$INSTDIR\${GUI_EXE}" 0
  CreateShortcut "$SMPROGRAMS\${APP_NAME}\卸载 ${APP_NAME}.lnk" "$INSTDIR\uninstall.exe"
  CreateShortcut "$DESKTOP\${APP_NAME}.lnk" "$INSTDIR\${GUI_EXE}" "" "$INSTDIR\${GUI_EXE}" 0

  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "${APP_NAME}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\${GUI_EXE}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2  ; KiB, as Windows' Apps & features expects
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "EstimatedSize" "$0"
SectionEnd

Section "Uninstall"
  SetShellVarContext current
  !insertmacro WaitUntilClosed
  ; Only what the installer put here. The county's data in ${DATA_FOLDER} stays, and so does
  ; anything else someone saved into this folder.
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\${GUI_EXE}"
  Delete "$INSTDIR\${CLI_EXE}"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"

  Delete "$SMPROGRAMS\${APP_NAME}\${APP_NAME}.lnk"
  Delete "$SMPROGRAMS\${APP_NAME}\卸载 ${APP_NAME}.lnk"
  RMDir "$SMPROGRAMS\${APP_NAME}"
  Delete "$DESKTOP\${APP_NAME}.lnk"
  DeleteRegKey HKCU "${UNINSTALL_KEY}"
SectionEnd

Function un.onUninstSuccess
  IfSilent +2
  MessageBox MB_OK|MB_ICONINFORMATION "${APP_NAME} 已卸载。本县的数据和备份仍保存在 ${DATA_FOLDER}，重新安装后即可继续使用。"
FunctionEnd
