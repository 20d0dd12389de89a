‚·4Vx³V92–3`F9
~r#gF3;gF%`S;aG7wA`G9
2]8Xf\3XtA"`Qx