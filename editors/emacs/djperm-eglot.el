;;; djperm-eglot.el --- djperm language server with Eglot  -*- lexical-binding: t; -*-

;; Eglot is built into Emacs 29 and later; on Emacs 28 install it first with
;; `M-x package-install RET eglot RET' (GNU ELPA).  Eglot runs one server per major mode.  Load this file, or copy the
;; form below into your init file, then `M-x eglot' in a Python buffer or a Django template.
;; To keep another Python server, start djperm in the template modes only, or see the
;; README's Editors section for running it beside another server.

;;; Code:

(require 'eglot)

(defgroup djperm nil
  "Django permission linter (djperm language server)."
  :group 'tools)

(defcustom djperm-executable "djperm"
  "The djperm executable."
  :type 'string)

(defcustom djperm-initialization-options '(:ignore [])
  "Options sent at initialize: the keys of [tool.djperm], e.g. (:ignore [\"DJP005\"])."
  :type 'sexp)

(defun djperm-eglot-contact (_interactive)
  "The command line and options of the djperm server."
  `(,djperm-executable "server" :initializationOptions ,djperm-initialization-options))

(add-to-list 'eglot-server-programs
             '((python-mode python-ts-mode web-mode html-mode mhtml-mode) . djperm-eglot-contact))

(provide 'djperm-eglot)
;;; djperm-eglot.el ends here
